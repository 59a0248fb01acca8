// Collections (groups): the list with member counts, the form that creates and edits one (staff
// picked from the organisation's staff users, a smart query checked as it is typed), and one
// collection's page with its members, export and actions.
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, get, session, withQuery } from "../api";
import { Confirm, Field, Link, Notice, Pager, Problem, TableHead, Title } from "../components";
import { download } from "../download";
import { useCursorPages } from "../hooks";
import type { Group, Member, Page, User } from "../model";
import { QueryError, useQueryCheck } from "../query";
import { navigate } from "../router";
import { AddByQuery } from "./CollectionAdd";

export function Collections() {
  const [groups, setGroups] = useState<Group[] | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const role = session()?.role;
  useEffect(() => {
    get<{ items: Group[] }>("/v1/groups").then((answer) => setGroups(answer.items), setProblem);
  }, []);
  return (
    <section>
      <div class="heading">
        <Title>Collections</Title>
        {role !== "staff" ? (
          <Link class="button" href="/collections/new">
            + New collection
          </Link>
        ) : null}
      </div>
      <Problem error={problem} />
      <div class="table-wrap">
        <table>
          <caption>Collections of your organisation</caption>
          <TableHead columns={["Title", "Type", "Members", "Description"]} />
          <tbody>
            {(groups ?? []).map((g) => (
              <tr key={g.id}>
                <td>
                  <Link href={`/collections/${encodeURIComponent(g.id)}`}>{g.name}</Link>
                </td>
                <td>
                  {g.type === "smart" ? "Smart" : "Manual"}
                  {g.blacklisted ? " · blacklist" : ""}
                </td>
                <td>{g.member_count}</td>
                <td>{g.description ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {groups && groups.length === 0 ? <p class="empty">No collections yet.</p> : null}
      </div>
    </section>
  );
}

export function CollectionForm(props: { id?: string }) {
  const [group, setGroup] = useState<Group | null>(null);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [query, setQuery] = useState("");
  const [blacklisted, setBlacklisted] = useState(false);
  const [staff, setStaff] = useState<Set<string>>(new Set());
  const [users, setUsers] = useState<User[] | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const [nameError, setNameError] = useState<string | null>(null);
  const check = useQueryCheck(query);
  const smartError =
    check?.error?.message ??
    (check?.parsed && !check.parsed.allowed_in_smart_group ? "This query cannot define a smart collection" : null);

  useEffect(() => {
    get<{ items: User[] }>("/v1/users").then(
      (answer) => setUsers(answer.items),
      () => setUsers([]),
    );
    if (props.id) {
      get<Group>(`/v1/groups/${encodeURIComponent(props.id)}`).then((g) => {
        setGroup(g);
        setName(g.name);
        setDescription(g.description ?? "");
        setQuery(g.query ?? "");
        setBlacklisted(g.blacklisted);
        setStaff(new Set(g.staff));
      }, setProblem);
    }
  }, [props.id]);

  const staffUsers = (users ?? []).filter((u) => u.role === "staff" && u.status === "active");
  const save = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    setNameError(null);
    const body: Record<string, unknown> = {
      name: name.trim(),
      description: description.trim() || null,
      blacklisted,
      staff: [...staff],
    };
    if (!group) body.query = query.trim() || null;
    else {
      body.version = group.version;
      if (group.type === "smart") body.query = query.trim();
    }
    try {
      const saved = group
        ? await api<Group>("PATCH", `/v1/groups/${encodeURIComponent(group.id)}`, { body })
        : await api<Group>("POST", "/v1/groups", { body });
      navigate(`/collections/${encodeURIComponent(saved.id)}`);
    } catch (error) {
      if (error instanceof ApiError && error.details.field === "name") setNameError(error.message);
      else setProblem(error);
    }
  };

  const canQuery = !group || group.type === "smart";
  return (
    <section>
      <Title>{group ? `Edit ${group.name}` : "New collection"}</Title>
      <Problem error={problem} />
      <form onSubmit={save} class="stack">
        <Field id="collection-name" label="Title" error={nameError}>
          {(d) => (
            <input
              id="collection-name"
              required
              maxLength={200}
              value={name}
              aria-describedby={d}
              aria-invalid={nameError ? true : undefined}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field id="collection-description" label="Description">
          {(d) => (
            <textarea
              id="collection-description"
              maxLength={1000}
              value={description}
              aria-describedby={d}
              onInput={(e) => setDescription(e.currentTarget.value)}
            />
          )}
        </Field>
        {canQuery ? (
          <div class="field">
            <label for="collection-query">Smart query (leave empty for a manual collection)</label>
            <input
              id="collection-query"
              value={query}
              aria-invalid={smartError ? true : undefined}
              aria-describedby={smartError ? "collection-query-error" : undefined}
              onInput={(e) => setQuery(e.currentTarget.value)}
            />
            {check?.error ? (
              <QueryError id="collection-query-error" text={query} check={check} />
            ) : smartError ? (
              <small id="collection-query-error" class="error">
                {smartError}
              </small>
            ) : null}
          </div>
        ) : null}
        <div class="field check">
          <input
            id="collection-blacklisted"
            type="checkbox"
            checked={blacklisted}
            onChange={(e) => setBlacklisted(e.currentTarget.checked)}
          />
          <label for="collection-blacklisted">Blacklist: its members receive no broadcast</label>
        </div>
        <fieldset>
          <legend>Staff who work with this collection</legend>
          {users === null ? <p>Loading staff…</p> : null}
          {users && staffUsers.length === 0 ? <p class="empty">No staff users in this organisation.</p> : null}
          {staffUsers.map((u) => (
            <div class="field check" key={u.id}>
              <input
                id={`staff-${u.id}`}
                type="checkbox"
                checked={staff.has(u.id)}
                onChange={() => {
                  const next = new Set(staff);
                  if (next.has(u.id)) next.delete(u.id);
                  else next.add(u.id);
                  setStaff(next);
                }}
              />
              <label for={`staff-${u.id}`}>
                {u.name} ({u.email})
              </label>
            </div>
          ))}
        </fieldset>
        <div class="actions">
          <Link class="button quiet" href={group ? `/collections/${encodeURIComponent(group.id)}` : "/collections"}>
            Cancel
          </Link>
          <button type="submit" disabled={Boolean(canQuery && query.trim() && smartError)}>
            Save collection
          </button>
        </div>
      </form>
    </section>
  );
}

export function Collection(props: { id: string }) {
  const [group, setGroup] = useState<Group | null>(null);
  const [missing, setMissing] = useState(false);
  const pages = useCursorPages();
  const [page, setPage] = useState<Page<Member> | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [problem, setProblem] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [reload, setReload] = useState(0);
  const path = `/v1/groups/${encodeURIComponent(props.id)}`;
  const role = session()?.role;
  const cursor = pages.cursor;

  useEffect(() => {
    get<Group>(path).then(setGroup, (error) => {
      if (error instanceof ApiError && error.status === 404) setMissing(true);
      else setProblem(error);
    });
  }, [path, reload]);
  useEffect(() => {
    get<Page<Member>>(withQuery(`${path}/members`, { limit: 50, cursor })).then(setPage, () => undefined);
  }, [path, cursor, reload]);

  if (missing) {
    return (
      <section>
        <Title>Collection not found</Title>
        <p>
          <Link href="/collections">Back to collections</Link>
        </p>
      </section>
    );
  }
  if (!group) return <Problem error={problem} />;

  const remove = async () => {
    try {
      const answer = await api<{ removed: number }>("DELETE", `${path}/members`, {
        body: { contact_ids: [...selected] },
      });
      setNotice(`${answer.removed} removed`);
      setSelected(new Set());
      setReload((n) => n + 1);
    } catch (error) {
      setProblem(error);
    }
  };
  const deleteGroup = async () => {
    setDeleting(false);
    try {
      await api("DELETE", path);
      navigate("/collections");
    } catch (error) {
      setProblem(error);
    }
  };
  const members = page?.items ?? [];
  const manager = role === "admin" || role === "manager";
  return (
    <section class="collection">
      <p>
        <Link href="/collections">Back to collections</Link>
      </p>
      <div class="heading">
        <Title>{group.name}</Title>
        {manager ? (
          <span class="actions">
            <Link class="button" href={`/broadcasts/new?group=${encodeURIComponent(group.id)}`}>
              Send a message
            </Link>
            <Link class="button" href={`/flows?group=${encodeURIComponent(group.id)}`}>
              Start a flow
            </Link>
            <Link class="button quiet" href={`/collections/${encodeURIComponent(group.id)}/edit`}>
              Edit
            </Link>
          </span>
        ) : null}
      </div>
      {group.description ? <p>{group.description}</p> : null}
      <p>
        {group.member_count} member{group.member_count === 1 ? "" : "s"} ·{" "}
        {group.type === "smart" ? `smart: ${group.query ?? ""}` : "manual"}
        {group.blacklisted ? " · blacklist" : ""}
      </p>
      {notice ? <Notice>{notice}</Notice> : null}
      <Problem error={problem} />
      <div class="actions">
        <button
          type="button"
          class="quiet"
          onClick={() => void download(`${path}/export?format=csv`, `${group.name}.csv`).catch(setProblem)}
        >
          Export CSV
        </button>
        <button
          type="button"
          class="quiet"
          onClick={() => void download(`${path}/export?format=xlsx`, `${group.name}.xlsx`).catch(setProblem)}
        >
          Export XLSX
        </button>
        {manager && group.type === "manual" && selected.size > 0 ? (
          <button type="button" onClick={() => void remove()}>
            Remove {selected.size} from collection
          </button>
        ) : null}
        {manager ? (
          <button type="button" class="danger" onClick={() => setDeleting(true)}>
            Delete collection
          </button>
        ) : null}
      </div>
      {manager && group.type === "manual" ? (
        <AddByQuery
          groupId={group.id}
          onChanged={(message) => {
            setNotice(message);
            setReload((n) => n + 1);
          }}
        />
      ) : null}
      <div class="table-wrap">
        <table>
          <caption>Members</caption>
          <thead>
            <tr>
              <th scope="col">
                <span class="visually-hidden">Select</span>
              </th>
              <th scope="col">Name</th>
              <th scope="col">Phone</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {members.map((m) => (
              <tr key={m.id}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Select ${m.name ?? m.phone ?? m.id}`}
                    checked={selected.has(m.id)}
                    onChange={() => {
                      const next = new Set(selected);
                      if (next.has(m.id)) next.delete(m.id);
                      else next.add(m.id);
                      setSelected(next);
                    }}
                  />
                </td>
                <td>
                  <Link href={`/contacts/${encodeURIComponent(m.id)}`}>{m.name || "(no name)"}</Link>
                </td>
                <td>{m.phone ?? ""}</td>
                <td>{m.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {page && members.length === 0 ? <p class="empty">No members.</p> : null}
      </div>
      <Pager label="Member pages" number={pages.number} back={pages.back} forward={pages.forward(page?.next_cursor)} />
      <Confirm
        open={deleting}
        title={`Delete ${group.name}?`}
        confirm="Delete collection"
        onConfirm={() => void deleteGroup()}
        onCancel={() => setDeleting(false)}
      >
        <p>The collection goes; its contacts stay. This cannot be undone.</p>
      </Confirm>
    </section>
  );
}
