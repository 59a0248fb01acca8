// Adding someone to the organisation (accounts service): by email, with a role. Someone without
// a password yet gets an invitation token, which the service shows this once: the admin passes
// it on, and the person sets their password with it.
import { useRef, useState } from "preact/hooks";
import { ApiError, api } from "../../api";
import { Field, Problem, when } from "../../components";
import { type FieldErrors, fieldErrors, placed, useFocusInvalid } from "./errors";
import { OneTime } from "./OneTime";
import { RoleSelect } from "./RoleSelect";
import type { AddedMember, Role } from "./types";

const FIELDS = ["email", "name", "role"];

export function Invitation(props: { added: AddedMember; onDone: () => void }) {
  const { user, invitation, invitation_expires_at: expires } = props.added;
  if (!invitation) return null;
  const link = `${window.location.origin}/invitation#token=${encodeURIComponent(invitation)}`;
  return (
    <OneTime
      id="invitation"
      title={`Invitation for ${user.name || user.email}`}
      values={[
        { id: "invitation-link", label: "Invitation link", value: link },
        { id: "invitation-token", label: "Invitation token", value: invitation },
      ]}
      onDone={props.onDone}
    >
      <p>
        It is valid until <strong>{when(expires)}</strong> and can be used once. Send it to {user.email} by a way you
        trust; they set their password with it, then sign in to this organisation.
      </p>
      <p>
        The link opens a page where they set their password. Systems that do it themselves send the token to{" "}
        <code>POST /v1/invitations/accept</code> with the new password.
      </p>
    </OneTime>
  );
}

export function AddMember(props: { onAdded: (added: AddedMember) => void }) {
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("staff");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [problem, setProblem] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const refused = useFocusInvalid(formRef);

  const add = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    setErrors({});
    if (!email.trim()) {
      setErrors({ email: "Whom to add: their email address" });
      refused();
      return;
    }
    setBusy(true);
    try {
      const added = await api<AddedMember>("POST", "/v1/users", {
        body: { email: email.trim(), name: name.trim(), role },
      });
      setEmail("");
      setName("");
      setRole("staff");
      props.onAdded(added);
    } catch (error) {
      const found = fieldErrors(error);
      if (error instanceof ApiError && error.code === "invalid_email") found.email = error.message;
      if (placed(found, FIELDS)) {
        setErrors(found);
        refused();
      } else setProblem(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="add-member-title">
      <h2 id="add-member-title">Add a member</h2>
      <Problem error={problem} />
      <form ref={formRef} onSubmit={add} class="settings-inline" noValidate>
        <Field id="member-email" label="Email" error={errors.email}>
          {(d) => (
            <input
              id="member-email"
              type="email"
              required
              autoComplete="off"
              maxLength={320}
              value={email}
              aria-describedby={d}
              aria-invalid={errors.email ? true : undefined}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field id="member-name" label="Name" error={errors.name}>
          {(d) => (
            <input
              id="member-name"
              autoComplete="off"
              maxLength={200}
              value={name}
              aria-describedby={d}
              aria-invalid={errors.name ? true : undefined}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field id="member-role" label="Role" error={errors.role}>
          {(d) => <RoleSelect id="member-role" value={role} describedBy={d} onChange={setRole} />}
        </Field>
        <div class="field">
          <button type="submit" disabled={busy}>
            Add member
          </button>
        </div>
      </form>
    </section>
  );
}
