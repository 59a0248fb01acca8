// Someone invited sets their password here, from the link an admin sent them. The token travels
// in the address's fragment (after #): browsers never send it to a server, so it stays out of
// logs and referrers; the page reads it and sends it once, with the new password.
import { useState } from "preact/hooks";
import { ApiError, api } from "../api";
import { Field, Link, Title } from "../components";

const MIN_PASSWORD = 12;

export function AcceptInvitation() {
  const [token] = useState(() => new URLSearchParams(window.location.hash.slice(1)).get("token") ?? "");
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    if (password !== again) {
      setProblem("The two passwords are not the same.");
      return;
    }
    setBusy(true);
    try {
      await api("POST", "/v1/invitations/accept", { body: { token, password } });
      window.history.replaceState(null, "", "/invitation"); // the token is spent: forget it
      setDone(true);
    } catch (error) {
      setProblem(
        error instanceof ApiError && error.status < 500
          ? `${error.message}. Ask your admin for a new invitation if this one has expired or was used.`
          : "Roster cannot be reached just now. Try again in a moment.",
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <Title>Set your password</Title>
      {done ? (
        <p role="status">
          Your password is set. <Link href="/sign-in">Sign in</Link>.
        </p>
      ) : !token ? (
        <p role="alert" class="problem">
          This link holds no invitation: open the whole link your admin sent you.
        </p>
      ) : (
        <form onSubmit={submit}>
          <Field id="new-password" label="New password" hint={`At least ${MIN_PASSWORD} characters`}>
            {(d) => (
              <input
                id="new-password"
                type="password"
                required
                minLength={MIN_PASSWORD}
                autoComplete="new-password"
                aria-describedby={d}
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
              />
            )}
          </Field>
          <Field id="new-password-again" label="The same password again">
            {(d) => (
              <input
                id="new-password-again"
                type="password"
                required
                autoComplete="new-password"
                aria-describedby={d}
                value={again}
                onInput={(e) => setAgain(e.currentTarget.value)}
              />
            )}
          </Field>
          {problem ? (
            <p class="problem" role="alert">
              {problem}
            </p>
          ) : null}
          <button type="submit" disabled={busy}>
            Set password
          </button>
        </form>
      )}
    </main>
  );
}
