// One contact: its attributes (editable), status, collections, consent record, and its messages
// and flow runs (kept by the flows service). A contact the caller may not see is "not found",
// exactly as one that does not exist.
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, get, session } from "../api";
import { Link, Notice, Problem, Title, when } from "../components";
import type { Contact as ContactView, Group, Page } from "../model";

type Editable = "name" | "phone" | "secondary_phone" | "email" | "category" | "language";
const EDITABLE: { key: Editable; label: string }[] = [
  { key: "name", label: "Name" },
  { key: "phone", label: "Phone" },
  { key: "secondary_phone", label: "Secondary phone" },
  { key: "email", label: "Email" },
  { key: "category", label: "Category" },
  { key: "language", label: "Language" },
];

interface FieldDefinition {
  key: string;
  label: string;
  type: string;
}

const INPUT_TYPES: Record<string, "number" | "datetime-local" | "text"> = {
  number: "number",
  datetime: "datetime-local",
};

const STATUS_ACTIONS: Record<string, { status: string; label: string }[]> = {
  active: [
    { status: "archived", label: "Archive" },
    { status: "blocked", label: "Block" },
  ],
  archived: [{ status: "active", label: "Restore" }],
  blocked: [{ status: "active", label: "Unblock" }],
  stopped: [{ status: "archived", label: "Archive" }],
};

interface FieldRecord {
  text: string;
  type: string;
  value: string | number | boolean;
}

function recordOf(value: unknown): FieldRecord | null {
  return value && typeof value === "object" && "text" in value ? (value as FieldRecord) : null;
}

/** A field's value as its input shows it (a date in the input's local form). */
function shownValue(value: unknown): string {
  const record = recordOf(value);
  if (!record) return value === null || value === undefined ? "" : String(value);
  if (record.type === "datetime" && typeof record.value === "string") return record.value.slice(0, 16);
  if (record.type === "boolean") return String(record.value);
  return record.text;
}

/** A field's value as people read it. */
function readable(value: unknown): string {
  const record = recordOf(value);
  if (!record) return value === null || value === undefined ? "—" : String(value);
  if (record.type === "boolean") return record.value ? "Yes" : "No";
  if (record.type === "datetime" && typeof record.value === "string") return when(record.value);
  return record.text;
}

/** What the contacts service takes for a field of this type ("" clears it). */
function typed(definition: FieldDefinition, value: string): unknown {
  if (value === "") return null;
  if (definition.type === "number") return Number(value);
  if (definition.type === "boolean") return value === "true";
  if (definition.type === "datetime") return new Date(value).toISOString();
  return value;
}

interface HistoryItem {
  id?: string;
  at?: string;
  started_at?: string;
  kind?: string;
  direction?: string;
  status?: string;
  text?: string;
  flow_id?: string;
}

function History(props: { title: string; path: string; describe: (item: HistoryItem) => string }) {
  const [items, setItems] = useState<HistoryItem[] | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    get<Page<HistoryItem>>(props.path).then(
      (page) => setItems(page.items),
      () => setFailed(true),
    );
  }, [props.path]);
  return (
    <section aria-labelledby={`${props.title}-heading`}>
      <h2 id={`${props.title}-heading`}>{props.title}</h2>
      {failed ? <p class="empty">Not available just now.</p> : null}
      {items && items.length === 0 ? <p class="empty">None yet.</p> : null}
      <ul class="history">
        {(items ?? []).map((item, i) => (
          <li key={item.id ?? i}>
            <time>{when(item.at ?? item.started_at)}</time> {props.describe(item)}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function Contact(props: { id: string }) {
  const [contact, setContact] = useState<ContactView | null>(null);
  const [missing, setMissing] = useState(false);
  const [groups, setGroups] = useState<Group[]>([]);
  const [definitions, setDefinitions] = useState<FieldDefinition[]>([]);
  const [draft, setDraft] = useState<Record<Editable, string> | null>(null);
  const [fieldDraft, setFieldDraft] = useState<Record<string, string>>({});
  const [joining, setJoining] = useState("");
  const [problem, setProblem] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const path = `/v1/contacts/${encodeURIComponent(props.id)}`;
  const canEdit = session()?.role !== "staff";

  useEffect(() => {
    setMissing(false);
    get<ContactView>(path).then(setContact, (error) => {
      if (error instanceof ApiError && error.status === 404) setMissing(true);
      else setProblem(error);
    });
    get<{ items: Group[] }>("/v1/groups").then(
      (answer) => setGroups(answer.items),
      () => undefined,
    );
    get<FieldDefinition[]>("/v1/fields").then(setDefinitions, () => undefined);
  }, [path]);

  if (missing) {
    return (
      <section>
        <Title>Contact not found</Title>
        <p>There is no such contact, or it is not in your collections.</p>
        <p>
          <Link href="/contacts">Back to contacts</Link>
        </p>
      </section>
    );
  }
  if (!contact) return <Problem error={problem} />;

  const save = async (event: Event) => {
    event.preventDefault();
    if (!draft) return;
    const changes: Record<string, unknown> = { version: contact.version };
    for (const { key } of EDITABLE) {
      const value = draft[key].trim();
      if (value !== (contact[key] ?? "")) changes[key] = value || null;
    }
    const fields: Record<string, unknown> = {};
    for (const definition of definitions) {
      const value = (fieldDraft[definition.key] ?? "").trim();
      if (value !== shownValue(contact.fields[definition.key])) fields[definition.key] = typed(definition, value);
    }
    if (Object.keys(fields).length) changes.fields = fields;
    try {
      setContact(await api<ContactView>("PATCH", path, { body: changes }));
      setDraft(null);
      setNotice("Saved");
      setProblem(null);
    } catch (error) {
      setProblem(error);
    }
  };

  const names = new Map(groups.map((g) => [g.id, g.name]));
  const setStatus = async (status: string) => {
    try {
      setContact(await api<ContactView>("POST", `${path}/status`, { body: { status } }));
      setNotice(`Now ${status}`);
      setProblem(null);
    } catch (error) {
      setProblem(error);
    }
  };
  const membership = async (groupId: string, method: "POST" | "DELETE") => {
    try {
      const answer = await api<{ results: { status: string; reason: string | null }[] }>(
        method,
        `/v1/groups/${encodeURIComponent(groupId)}/members`,
        { body: { contact_ids: [contact.id] } },
      );
      const refused = answer.results.find((r) => r.status === "refused");
      setNotice(
        refused
          ? `Refused: ${refused.reason ?? ""}`
          : `${method === "POST" ? "Added to" : "Removed from"} ${names.get(groupId) ?? "the collection"}`,
      );
      setJoining("");
      // The contact's own copy follows by events: read it again in a moment.
      setTimeout(() => void get<ContactView>(path).then(setContact, () => undefined), 800);
    } catch (error) {
      setProblem(error);
    }
  };
  const startEditing = () => {
    setDraft(Object.fromEntries(EDITABLE.map((f) => [f.key, contact[f.key] ?? ""])) as Record<Editable, string>);
    setFieldDraft(Object.fromEntries(definitions.map((d) => [d.key, shownValue(contact.fields[d.key])])));
  };
  const manual = groups.filter((g) => g.type === "manual");
  return (
    <section class="contact">
      <p>
        <Link href="/contacts">Back to contacts</Link>
      </p>
      <Title>{contact.name || contact.phone || "Contact"}</Title>
      {notice ? <Notice>{notice}</Notice> : null}
      <Problem error={problem} />
      {draft ? (
        <form onSubmit={save} class="grid">
          {EDITABLE.map((f) => (
            <div class="field" key={f.key}>
              <label for={`edit-${f.key}`}>{f.label}</label>
              <input
                id={`edit-${f.key}`}
                value={draft[f.key]}
                onInput={(e) => setDraft({ ...draft, [f.key]: e.currentTarget.value })}
              />
            </div>
          ))}
          {definitions.map((d) => (
            <div class="field" key={d.key}>
              <label for={`edit-field-${d.key}`}>{d.label}</label>
              {d.type === "boolean" ? (
                <select
                  id={`edit-field-${d.key}`}
                  value={fieldDraft[d.key] ?? ""}
                  onChange={(e) => setFieldDraft({ ...fieldDraft, [d.key]: e.currentTarget.value })}
                >
                  <option value="">—</option>
                  <option value="true">Yes</option>
                  <option value="false">No</option>
                </select>
              ) : (
                <input
                  id={`edit-field-${d.key}`}
                  type={(INPUT_TYPES[d.type] ?? "text") as "text"}
                  value={fieldDraft[d.key] ?? ""}
                  onInput={(e) => setFieldDraft({ ...fieldDraft, [d.key]: e.currentTarget.value })}
                />
              )}
            </div>
          ))}
          <div class="actions">
            <button type="button" class="quiet" onClick={() => setDraft(null)}>
              Cancel
            </button>
            <button type="submit">Save</button>
          </div>
        </form>
      ) : (
        <dl class="attributes">
          {EDITABLE.map((f) => (
            <div key={f.key}>
              <dt>{f.label}</dt>
              <dd>{contact[f.key] ?? "—"}</dd>
            </div>
          ))}
          <div>
            <dt>Status</dt>
            <dd>{contact.status}</dd>
          </div>
          <div>
            <dt>Collections</dt>
            <dd>{contact.groups.map((id) => names.get(id) ?? id).join(", ") || "—"}</dd>
          </div>
          <div>
            <dt>Consent</dt>
            <dd>
              {String(contact.opt_in.status ?? "unknown")}
              {contact.opt_in.opted_in_at ? `, opted in ${when(String(contact.opt_in.opted_in_at))}` : ""}
              {contact.opt_in.opt_in_method ? ` (${String(contact.opt_in.opt_in_method)})` : ""}
              {contact.opt_in.opted_out_at ? `, opted out ${when(String(contact.opt_in.opted_out_at))}` : ""}
            </dd>
          </div>
          {Object.entries(contact.fields).map(([key, value]) => (
            <div key={key}>
              <dt>{key}</dt>
              <dd>{readable(value)}</dd>
            </div>
          ))}
          <div>
            <dt>Created</dt>
            <dd>{when(contact.created_at)}</dd>
          </div>
        </dl>
      )}
      {canEdit && !draft ? (
        <div class="actions">
          <button type="button" onClick={startEditing}>
            Edit
          </button>
          {(STATUS_ACTIONS[contact.status] ?? []).map((a) => (
            <button type="button" class="quiet" key={a.status} onClick={() => void setStatus(a.status)}>
              {a.label}
            </button>
          ))}
        </div>
      ) : null}
      {canEdit && contact.status === "active" ? (
        <section aria-labelledby="collections-heading">
          <h2 id="collections-heading">Collections</h2>
          <ul class="memberships">
            {contact.groups.map((id) => (
              <li key={id}>
                {names.get(id) ?? id}{" "}
                {manual.some((g) => g.id === id) ? (
                  <button type="button" class="quiet" onClick={() => void membership(id, "DELETE")}>
                    Remove from {names.get(id) ?? "collection"}
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
          <div class="inline-form">
            <div class="field">
              <label for="join-collection">Add to</label>
              <select id="join-collection" value={joining} onChange={(e) => setJoining(e.currentTarget.value)}>
                <option value="">Choose…</option>
                {manual
                  .filter((g) => !contact.groups.includes(g.id))
                  .map((g) => (
                    <option key={g.id} value={g.id}>
                      {g.name}
                    </option>
                  ))}
              </select>
            </div>
            <button type="button" disabled={!joining} onClick={() => void membership(joining, "POST")}>
              Add to collection
            </button>
          </div>
        </section>
      ) : null}
      <History
        title="Messages"
        path={`/v1/conversations/${encodeURIComponent(contact.id)}/messages`}
        describe={(m) => [m.direction, m.kind, m.status, m.text].filter(Boolean).join(" · ")}
      />
      <History
        title="Flow runs"
        path={`/v1/conversations/${encodeURIComponent(contact.id)}/runs`}
        describe={(r) => [r.flow_id ?? "flow", r.status].filter(Boolean).join(" · ")}
      />
    </section>
  );
}
