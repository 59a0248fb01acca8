// The contacts list: tabs by status with their counts, search (plain text or the query
// language), filters, paging by cursor, and actions on the selected contacts. What is shown is
// in the address (status, query, filters, page size), so a view can be bookmarked or shared.
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, api, get, session, withQuery } from "../api";
import { Confirm, Link, Notice, Pager, Problem, Tabs, Title, when } from "../components";
import { useCursorPages } from "../hooks";
import type { Contact, ContactStatus, Group, Page } from "../model";
import { QueryError, useQueryCheck } from "../query";
import { type Location, navigate } from "../router";

const STATUSES: { id: ContactStatus; label: string }[] = [
  { id: "active", label: "Active" },
  { id: "archived", label: "Archived" },
  { id: "blocked", label: "Blocked" },
  { id: "stopped", label: "Stopped" },
];
const PAGE_SIZES = [25, 50, 100, 200];

type Action = "archive" | "block" | "unblock" | "restore" | "stop" | "delete";
const ACTIONS: Record<ContactStatus, { id: Action; label: string }[]> = {
  active: [
    { id: "archive", label: "Archive" },
    { id: "block", label: "Block" },
  ],
  archived: [
    { id: "restore", label: "Restore" },
    { id: "delete", label: "Delete" },
  ],
  blocked: [{ id: "unblock", label: "Unblock" }],
  stopped: [{ id: "archive", label: "Archive" }],
};

function statusOf(params: URLSearchParams): ContactStatus {
  const value = params.get("status");
  return STATUSES.some((s) => s.id === value) ? (value as ContactStatus) : "active";
}

export function Contacts(props: { location: Location }) {
  const params = props.location.params;
  const status = statusOf(params);
  const query = params.get("query") ?? "";
  const category = params.get("category") ?? "";
  const group = params.get("group") ?? "";
  const limit = PAGE_SIZES.includes(Number(params.get("limit"))) ? Number(params.get("limit")) : 50;

  const [text, setText] = useState(query);
  const check = useQueryCheck(text);
  const pages = useCursorPages();
  const [page, setPage] = useState<Page<Contact> | null>(null);
  const [counts, setCounts] = useState<Partial<Record<ContactStatus, number>>>({});
  const [groups, setGroups] = useState<Group[]>([]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [problem, setProblem] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [target, setTarget] = useState("");
  const [reload, setReload] = useState(0);
  const cursor = pages.cursor;
  const role = session()?.role;

  const show = (changes: Record<string, string | number | null>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === "") next.delete(key);
      else next.set(key, String(value));
    }
    pages.reset();
    setSelected(new Set());
    navigate(`/contacts${next.toString() ? `?${next}` : ""}`, true);
  };

  // Search once the text parses (or is cleared); a text that does not parse is shown, not run.
  useEffect(() => {
    if (check && check.checked === text && !check.error && text.trim() !== query) show({ query: text.trim() });
  }, [check]);

  useEffect(() => {
    void get<{ items: Group[] }>("/v1/groups").then((answer) => setGroups(answer.items), setProblem);
  }, [reload]);

  useEffect(() => {
    let live = true;
    setProblem(null);
    const path = withQuery("/v1/contacts", {
      status,
      query,
      category,
      group,
      limit,
      cursor,
    });
    get<Page<Contact>>(path).then(
      (answer) => live && setPage(answer),
      (error) => live && setProblem(error),
    );
    for (const s of STATUSES) {
      get<{ count: number }>(withQuery("/v1/contacts/count", { status: s.id, query })).then(
        (answer) => live && setCounts((c) => ({ ...c, [s.id]: answer.count })),
        () => undefined,
      );
    }
    return () => {
      live = false;
    };
  }, [status, query, category, group, limit, cursor, reload]);

  const groupNames = useMemo(() => new Map(groups.map((g) => [g.id, g.name])), [groups]);
  const manualGroups = groups.filter((g) => g.type === "manual");
  const items = page?.items ?? [];
  const allSelected = items.length > 0 && items.every((c) => selected.has(c.id));

  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };

  const done = (message: string) => {
    setNotice(message);
    setSelected(new Set());
    setReload((n) => n + 1);
  };

  const act = async (action: Action) => {
    setConfirming(false);
    try {
      const outcome = await api<{ succeeded: number; failed: number }>("POST", "/v1/contacts/actions", {
        body: { action, ids: [...selected] },
      });
      done(`${action}: ${outcome.succeeded} done${outcome.failed ? `, ${outcome.failed} failed` : ""}`);
    } catch (error) {
      setProblem(error);
    }
  };

  const membership = async (method: "POST" | "DELETE") => {
    if (!target) return;
    try {
      const answer = await api<{
        added?: number;
        removed?: number;
        refused: number;
      }>(method, `/v1/groups/${encodeURIComponent(target)}/members`, {
        body: { contact_ids: [...selected] },
      });
      const name = groupNames.get(target) ?? "the collection";
      done(
        method === "POST"
          ? `${answer.added ?? 0} added to ${name}${answer.refused ? `, ${answer.refused} refused` : ""}`
          : `${answer.removed ?? 0} removed from ${name}${answer.refused ? `, ${answer.refused} refused` : ""}`,
      );
    } catch (error) {
      setProblem(error);
    }
  };

  const searchDescribedBy = check?.error ? "search-error" : "search-hint";
  return (
    <section class="contacts">
      <div class="heading">
        <Title>Contacts</Title>
        {role !== "staff" ? (
          <Link class="button" href="/contacts/new">
            + Add contacts
          </Link>
        ) : null}
      </div>
      <Tabs
        label="Contact status"
        tabs={STATUSES.map((s) => ({ ...s, count: counts[s.id] ?? null }))}
        selected={status}
        onSelect={(id) => show({ status: id === "active" ? null : id })}
      />
      <search class="filters">
        <div class="field grow">
          <label for="search">Search</label>
          <input
            id="search"
            type="search"
            value={text}
            aria-describedby={searchDescribedBy}
            aria-invalid={check?.error ? true : undefined}
            placeholder='ami, or name ~ ami AND district = "Kano"'
            onInput={(e) => setText(e.currentTarget.value)}
          />
          <small id="search-hint" class="hint">
            Plain words search names and phones; the query language filters by any attribute or field.
          </small>
          <QueryError id="search-error" text={text} check={check} />
        </div>
        <div class="field">
          <label for="category">Category</label>
          <input id="category" value={category} onChange={(e) => show({ category: e.currentTarget.value.trim() })} />
        </div>
        <div class="field">
          <label for="group-filter">Collection</label>
          <select id="group-filter" value={group} onChange={(e) => show({ group: e.currentTarget.value })}>
            <option value="">Any</option>
            {groups.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="page-size">Per page</label>
          <select id="page-size" value={String(limit)} onChange={(e) => show({ limit: e.currentTarget.value })}>
            {PAGE_SIZES.map((n) => (
              <option key={n} value={String(n)}>
                {n}
              </option>
            ))}
          </select>
        </div>
      </search>
      {notice ? <Notice>{notice}</Notice> : null}
      <Problem error={problem} />
      {selected.size > 0 ? (
        <div class="bulk" role="toolbar" aria-label="Actions on the selected contacts">
          <span>{selected.size} selected</span>
          {ACTIONS[status].map((a) => (
            <button
              type="button"
              key={a.id}
              class={a.id === "delete" ? "danger" : undefined}
              onClick={() => (a.id === "delete" ? setConfirming(true) : void act(a.id))}
            >
              {a.label}
            </button>
          ))}
          {role !== "staff" && status === "active" ? (
            <Link
              class="button quiet"
              href={`/broadcasts/new?contacts=${[...selected].map(encodeURIComponent).join(",")}`}
            >
              Send a message
            </Link>
          ) : null}
          {role !== "staff" && status === "active" && manualGroups.length > 0 ? (
            <span class="group-actions">
              <label for="bulk-group">Collection</label>
              <select id="bulk-group" value={target} onChange={(e) => setTarget(e.currentTarget.value)}>
                <option value="">Choose…</option>
                {manualGroups.map((g) => (
                  <option key={g.id} value={g.id}>
                    {g.name}
                  </option>
                ))}
              </select>
              <button type="button" disabled={!target} onClick={() => void membership("POST")}>
                Add to collection
              </button>
              <button type="button" disabled={!target} onClick={() => void membership("DELETE")}>
                Remove from collection
              </button>
            </span>
          ) : null}
        </div>
      ) : null}
      <div class="table-wrap">
        <table aria-describedby="contacts-caption">
          <caption id="contacts-caption">
            {STATUSES.find((s) => s.id === status)?.label} contacts
            {query ? ` matching ${query}` : ""}
          </caption>
          <thead>
            <tr>
              <th scope="col">
                <input
                  type="checkbox"
                  aria-label="Select every contact on this page"
                  checked={allSelected}
                  onChange={() => setSelected(allSelected ? new Set() : new Set(items.map((c) => c.id)))}
                />
              </th>
              <th scope="col">Name</th>
              <th scope="col">Category</th>
              <th scope="col">Phone</th>
              <th scope="col">Secondary phone</th>
              <th scope="col">Collections</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {items.map((contact) => (
              <tr key={contact.id}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Select ${contact.name ?? contact.phone ?? contact.id}`}
                    checked={selected.has(contact.id)}
                    onChange={() => toggle(contact.id)}
                  />
                </td>
                <td>
                  <Link href={`/contacts/${encodeURIComponent(contact.id)}`}>{contact.name || "(no name)"}</Link>
                </td>
                <td>{contact.category ?? ""}</td>
                <td>{contact.phone ?? ""}</td>
                <td>{contact.secondary_phone ?? ""}</td>
                <td>{contact.groups.map((id) => groupNames.get(id) ?? "…").join(", ")}</td>
                <td>{contact.status}</td>
                <td>{when(contact.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {page && items.length === 0 ? <p class="empty">No contacts here.</p> : null}
      </div>
      <Pager label="Pages" number={pages.number} back={pages.back} forward={pages.forward(page?.next_cursor)} />
      <Confirm
        open={confirming}
        title="Delete contacts?"
        confirm={`Delete ${selected.size}`}
        onConfirm={() => void act("delete")}
        onCancel={() => setConfirming(false)}
      >
        <p>
          {selected.size} archived contact{selected.size === 1 ? "" : "s"} and their history will be deleted. This
          cannot be undone.
        </p>
      </Confirm>
    </section>
  );
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}
