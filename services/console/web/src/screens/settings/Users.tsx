// The organisation's members (accounts service): their role, changed in place, and removal,
// asked first. The service keeps at least one admin: its refusal is shown as it says it.
// Adding someone new shows their one-time invitation above the list.
import { useEffect, useState } from "preact/hooks";
import { api, get, session } from "../../api";
import { Confirm, Notice, Problem, Title, when } from "../../components";
import { AddMember, Invitation } from "./AddMember";
import { type AddedMember, type Member, ROLES, type Role } from "./types";

const STATUS: Record<Member["status"], string> = {
  active: "active",
  invited: "invited",
  deactivated: "deactivated",
};

function RoleCell(props: { member: Member; onChange: (role: Role) => void }) {
  const m = props.member;
  const [role, setRole] = useState<Role>(m.role ?? "staff");
  useEffect(() => setRole(m.role ?? "staff"), [m.role]);
  const label = m.name || m.email;
  return (
    <div class="settings-role">
      <select aria-label={`Role of ${label}`} value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <button type="button" class="quiet" disabled={role === m.role} onClick={() => props.onChange(role)}>
        Change role<span class="visually-hidden"> of {label}</span>
      </button>
    </div>
  );
}

export function Users() {
  const [members, setMembers] = useState<Member[] | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [added, setAdded] = useState<AddedMember | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [reload, setReload] = useState(0);
  const me = session()?.user;

  useEffect(() => {
    get<{ items: Member[] }>("/v1/users").then((answer) => setMembers(answer.items), setProblem);
  }, [reload]);

  const act = async (done: string, work: () => Promise<unknown>) => {
    setProblem(null);
    setNotice(null);
    try {
      await work();
      setNotice(done);
      setReload((n) => n + 1);
    } catch (error) {
      setProblem(error);
    }
  };
  const changeRole = (m: Member, role: Role) =>
    void act(`${m.name || m.email} is now ${role}.`, () =>
      api("PATCH", `/v1/users/${encodeURIComponent(m.id)}`, { body: { role } }),
    );
  const remove = () => {
    const m = removing;
    setRemoving(null);
    if (m)
      void act(`${m.name || m.email} was removed from the organisation.`, () =>
        api("DELETE", `/v1/users/${encodeURIComponent(m.id)}`),
      );
  };
  // Adding someone who has no password yet again gives them a new invitation (the token is
  // shown only once, so this is how a lost one is replaced).
  const reinvite = async (m: Member) => {
    setProblem(null);
    try {
      onAdded(
        await api<AddedMember>("POST", "/v1/users", {
          body: { email: m.email, name: m.name, role: m.role ?? "staff" },
        }),
      );
    } catch (error) {
      setNotice(null);
      setProblem(error);
    }
  };
  const onAdded = (answer: AddedMember) => {
    setProblem(null);
    setAdded(answer.invitation ? answer : null);
    setNotice(
      answer.invitation
        ? `${answer.user.email} was added as ${answer.user.role}.`
        : `${answer.user.email} was added as ${answer.user.role}: they already have a password and can sign in now.`,
    );
    setReload((n) => n + 1);
  };

  return (
    <section>
      <Title>Users</Title>
      <p class="hint">Who may sign in to your organisation, and what they may do. Only admins change this.</p>
      {notice ? <Notice>{notice}</Notice> : null}
      <Problem error={problem} />
      {added ? <Invitation added={added} onDone={() => setAdded(null)} /> : null}
      <div class="table-wrap">
        <table>
          <caption>Members of your organisation</caption>
          <thead>
            <tr>
              <th scope="col">Member</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Last signed in</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(members ?? []).map((m) => (
              <tr key={m.id}>
                <td>
                  {m.name || m.email}
                  {m.id === me ? " (you)" : ""}
                  <br />
                  <small class="hint">{m.email}</small>
                </td>
                <td>
                  <RoleCell member={m} onChange={(role) => changeRole(m, role)} />
                </td>
                <td>{STATUS[m.status] ?? m.status}</td>
                <td>{m.last_sign_in_at ? when(m.last_sign_in_at) : "never"}</td>
                <td class="settings-row-actions">
                  {m.status === "invited" ? (
                    <button type="button" class="quiet" onClick={() => void reinvite(m)}>
                      New invitation<span class="visually-hidden"> for {m.name || m.email}</span>
                    </button>
                  ) : null}{" "}
                  <button type="button" class="danger" onClick={() => setRemoving(m)}>
                    Remove<span class="visually-hidden"> {m.name || m.email}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {members && members.length === 0 ? <p class="empty">No members.</p> : null}
      </div>
      <AddMember onAdded={onAdded} />
      <Confirm
        open={removing !== null}
        title={`Remove ${removing?.name || removing?.email || ""}?`}
        confirm="Remove member"
        onConfirm={remove}
        onCancel={() => setRemoving(null)}
      >
        <p>They can no longer sign in to this organisation; their open sessions here end when they next renew.</p>
      </Confirm>
    </section>
  );
}
