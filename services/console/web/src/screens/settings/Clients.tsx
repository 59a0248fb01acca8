// API clients (accounts service): other systems that call Roster with a client id and secret
// (OAuth 2.0 client credentials). The secret is shown once, when the client is made; revoking
// one asks first. Only admins see this list: anyone else is shown the service's refusal.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api, get } from "../../api";
import { Confirm, Field, Notice, Problem, Title, when } from "../../components";
import { type FieldErrors, fieldErrors, placed, useFocusInvalid } from "./errors";
import { OneTime } from "./OneTime";
import { RoleSelect } from "./RoleSelect";
import type { ApiClient, MadeApiClient, Role } from "./types";

function Made(props: { made: MadeApiClient; onDone: () => void }) {
  const token = `${window.location.origin}/v1/oauth/token`;
  return (
    <OneTime
      id="client-secret"
      title={`Credentials of ${props.made.client.name}`}
      values={[
        { id: "made-client-id", label: "Client ID", value: props.made.client.client_id },
        { id: "made-client-secret", label: "Client secret", value: props.made.client_secret },
      ]}
      onDone={props.onDone}
    >
      <p>
        The system trades them for an access token (role {props.made.client.role}): <code>POST {token}</code> with the
        form <code>grant_type=client_credentials&amp;client_id=…&amp;client_secret=…</code> (or the two in HTTP Basic
        authentication).
      </p>
    </OneTime>
  );
}

function NewClient(props: { onMade: (made: MadeApiClient) => void }) {
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("staff");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [problem, setProblem] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const refused = useFocusInvalid(formRef);

  const make = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    setErrors({});
    if (!name.trim()) {
      setErrors({ name: "Name the system that will use it" });
      refused();
      return;
    }
    setBusy(true);
    try {
      props.onMade(await api<MadeApiClient>("POST", "/v1/clients", { body: { name: name.trim(), role } }));
      setName("");
    } catch (error) {
      const found = fieldErrors(error);
      if (placed(found, ["name", "role"])) {
        setErrors(found);
        refused();
      } else setProblem(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="new-client-title">
      <h2 id="new-client-title">New API client</h2>
      <Problem error={problem} />
      <form ref={formRef} onSubmit={make} class="settings-inline" noValidate>
        <Field id="client-name" label="Name" error={errors.name} hint="The system that will use it">
          {(d) => (
            <input
              id="client-name"
              required
              maxLength={200}
              autoComplete="off"
              value={name}
              aria-describedby={d}
              aria-invalid={errors.name ? true : undefined}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field id="client-role" label="Role" error={errors.role} hint="What it may do, as a person with this role">
          {(d) => <RoleSelect id="client-role" value={role} describedBy={d} onChange={setRole} />}
        </Field>
        <div class="field">
          <button type="submit" disabled={busy}>
            Create client
          </button>
        </div>
      </form>
    </section>
  );
}

export function Clients() {
  const [clients, setClients] = useState<ApiClient[] | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const [refusedHere, setRefusedHere] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [made, setMade] = useState<MadeApiClient | null>(null);
  const [revoking, setRevoking] = useState<ApiClient | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    get<{ items: ApiClient[] }>("/v1/clients").then(
      (answer) => setClients(answer.items),
      (error) => {
        setProblem(error);
        setRefusedHere(error instanceof ApiError && error.status === 403);
      },
    );
  }, [reload]);

  const revoke = async () => {
    const client = revoking;
    setRevoking(null);
    if (!client) return;
    setProblem(null);
    setNotice(null);
    try {
      await api("DELETE", `/v1/clients/${encodeURIComponent(client.client_id)}`);
      setNotice(`${client.name} was revoked: it can no longer get access tokens.`);
      setReload((n) => n + 1);
    } catch (error) {
      setProblem(error);
    }
  };
  const onMade = (answer: MadeApiClient) => {
    setMade(answer);
    setNotice(`API client ${answer.client.name} created.`);
    setReload((n) => n + 1);
  };

  return (
    <section>
      <Title>API clients</Title>
      <p class="hint">Other systems that call Roster on your organisation's behalf, each with a role.</p>
      {notice ? <Notice>{notice}</Notice> : null}
      <Problem error={problem} />
      {made ? <Made made={made} onDone={() => setMade(null)} /> : null}
      {refusedHere ? null : (
        <>
          <div class="table-wrap">
            <table>
              <caption>API clients of your organisation</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Client ID</th>
                  <th scope="col">Role</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">State</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {(clients ?? []).map((c) => (
                  <tr key={c.client_id}>
                    <td>{c.name}</td>
                    <td>
                      <code>{c.client_id}</code>
                    </td>
                    <td>{c.role}</td>
                    <td>{when(c.created_at)}</td>
                    <td>{c.last_used_at ? when(c.last_used_at) : "never"}</td>
                    <td>{c.revoked_at ? `revoked ${when(c.revoked_at)}` : "active"}</td>
                    <td class="settings-row-actions">
                      {c.revoked_at ? null : (
                        <button type="button" class="danger" onClick={() => setRevoking(c)}>
                          Revoke<span class="visually-hidden"> {c.name}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {clients && clients.length === 0 ? <p class="empty">No API clients yet.</p> : null}
          </div>
          <NewClient onMade={onMade} />
        </>
      )}
      <Confirm
        open={revoking !== null}
        title={`Revoke ${revoking?.name ?? ""}?`}
        confirm="Revoke client"
        onConfirm={() => void revoke()}
        onCancel={() => setRevoking(null)}
      >
        <p>The system using it can no longer get tokens with it. This cannot be undone.</p>
      </Confirm>
    </section>
  );
}
