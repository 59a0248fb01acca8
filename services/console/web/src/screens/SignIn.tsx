import { useState } from "preact/hooks";
import { ApiError, signIn } from "../api";
import { Field, Title } from "../components";

const LAST_ORGANIZATION = "roster.organization";

/** Signing in; the application then shows the page that was asked for (see main.tsx). */
export function SignIn() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [organization, setOrganization] = useState(() => localStorage.getItem(LAST_ORGANIZATION) ?? "");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      await signIn(email.trim(), password, organization.trim());
      localStorage.setItem(LAST_ORGANIZATION, organization.trim());
    } catch (error) {
      if (error instanceof ApiError && error.status === 429) {
        setProblem("Too many attempts: wait a little, then try again.");
      } else if (error instanceof ApiError && error.status < 500) {
        setProblem("The email, password or organisation is not right.");
      } else {
        setProblem("Roster cannot be reached just now. Try again in a moment.");
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <Title>Sign in</Title>
      <form onSubmit={submit} aria-describedby={problem ? "sign-in-problem" : undefined}>
        <Field id="organization" label="Organisation">
          {(d) => (
            <input
              id="organization"
              name="organization"
              required
              autoComplete="organization"
              aria-describedby={d}
              value={organization}
              onInput={(e) => setOrganization(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field id="email" label="Email">
          {(d) => (
            <input
              id="email"
              name="email"
              type="email"
              required
              autoComplete="username"
              aria-describedby={d}
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field id="password" label="Password">
          {(d) => (
            <input
              id="password"
              name="password"
              type="password"
              required
              autoComplete="current-password"
              aria-describedby={d}
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          )}
        </Field>
        {problem ? (
          <p id="sign-in-problem" class="problem" role="alert">
            {problem}
          </p>
        ) : null}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
