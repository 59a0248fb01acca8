// Create one contact or several at once ("+ Add more contact"). They go in one batch; each entry
// the contacts service refuses keeps its values and shows its error in place, the others are
// saved and leave the form.
import { useState } from "preact/hooks";
import { api } from "../api";
import { Link, Notice, Problem, Title } from "../components";
import type { Contact } from "../model";

interface Entry {
  key: number;
  name: string;
  phone: string;
  secondary_phone: string;
  email: string;
  category: string;
  language: string;
  opt_in: boolean;
  error: string | null;
  errorField: string | null;
}

interface BatchResult {
  created: number;
  failed: number;
  results: {
    index: number;
    status: "created" | "error";
    contact: Contact | null;
    error: {
      code: string;
      message: string;
      details: Record<string, unknown>;
    } | null;
  }[];
}

const TEXT_FIELDS: {
  key: "name" | "phone" | "secondary_phone" | "email" | "category" | "language";
  label: string;
  type?: "tel" | "email";
}[] = [
  { key: "name", label: "Name" },
  { key: "phone", label: "Phone", type: "tel" },
  { key: "secondary_phone", label: "Secondary phone", type: "tel" },
  { key: "email", label: "Email", type: "email" },
  { key: "category", label: "Category" },
  { key: "language", label: "Language" },
];

let keys = 0;
function blank(): Entry {
  keys += 1;
  return {
    key: keys,
    name: "",
    phone: "",
    secondary_phone: "",
    email: "",
    category: "",
    language: "",
    opt_in: false,
    error: null,
    errorField: null,
  };
}

function body(entry: Entry): Record<string, unknown> {
  const out: Record<string, unknown> = { opt_in: entry.opt_in };
  for (const { key } of TEXT_FIELDS) if (entry[key].trim()) out[key] = entry[key].trim();
  if (entry.opt_in) out.opt_in_method = "console";
  return out;
}

export function AddContacts() {
  const [entries, setEntries] = useState<Entry[]>([blank()]);
  const [saved, setSaved] = useState<Contact[]>([]);
  const [problem, setProblem] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const change = (key: number, patch: Partial<Entry>) =>
    setEntries((all) => all.map((e) => (e.key === key ? { ...e, ...patch } : e)));

  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const answer = await api<BatchResult>("POST", "/v1/contacts/batch", {
        body: { contacts: entries.map(body) },
      });
      const kept: Entry[] = [];
      const created: Contact[] = [];
      for (const result of answer.results) {
        const entry = entries[result.index];
        if (!entry) continue;
        if (result.status === "created" && result.contact) created.push(result.contact);
        else {
          const field = result.error?.details.field;
          kept.push({
            ...entry,
            error: result.error?.message ?? "Not saved",
            errorField: typeof field === "string" ? field : null,
          });
        }
      }
      setSaved((s) => [...created, ...s]);
      setEntries(kept.length ? kept : [blank()]);
    } catch (error) {
      setProblem(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="add-contacts">
      <Title>Add contacts</Title>
      <p>
        <Link href="/contacts">Back to contacts</Link>
      </p>
      {saved.length ? (
        <Notice>
          Saved:{" "}
          {saved.map((c, i) => (
            <span key={c.id}>
              {i ? ", " : ""}
              <Link href={`/contacts/${encodeURIComponent(c.id)}`}>{c.name || c.phone || c.id}</Link>
            </span>
          ))}
        </Notice>
      ) : null}
      <Problem error={problem} />
      <form onSubmit={save}>
        {entries.map((entry, index) => (
          <fieldset
            key={entry.key}
            class={entry.error ? "entry has-error" : "entry"}
            aria-describedby={entry.error ? `entry-${entry.key}-error` : undefined}
          >
            <legend>Contact {index + 1}</legend>
            <div class="grid">
              {TEXT_FIELDS.map((f) => {
                const id = `entry-${entry.key}-${f.key}`;
                const wrong = entry.error && entry.errorField === f.key;
                return (
                  <div class="field" key={f.key}>
                    <label for={id}>{f.label}</label>
                    <input
                      id={id}
                      type={(f.type ?? "text") as "text"}
                      value={entry[f.key]}
                      aria-invalid={wrong ? true : undefined}
                      aria-describedby={wrong ? `entry-${entry.key}-error` : undefined}
                      onInput={(e) => change(entry.key, { [f.key]: e.currentTarget.value })}
                    />
                  </div>
                );
              })}
              <div class="field check">
                <input
                  id={`entry-${entry.key}-opt-in`}
                  type="checkbox"
                  checked={entry.opt_in}
                  onChange={(e) => change(entry.key, { opt_in: e.currentTarget.checked })}
                />
                <label for={`entry-${entry.key}-opt-in`}>Has opted in</label>
              </div>
            </div>
            {entry.error ? (
              <p id={`entry-${entry.key}-error`} class="error" role="alert">
                {entry.error}
              </p>
            ) : null}
            {entries.length > 1 ? (
              <button
                type="button"
                class="quiet"
                onClick={() => setEntries((all) => all.filter((e) => e.key !== entry.key))}
              >
                Remove contact {index + 1}
              </button>
            ) : null}
          </fieldset>
        ))}
        <div class="actions">
          <button type="button" class="quiet" onClick={() => setEntries((all) => [...all, blank()])}>
            + Add more contact
          </button>
          <button type="submit" disabled={busy}>
            Save {entries.length > 1 ? `${entries.length} contacts` : "contact"}
          </button>
        </div>
      </form>
    </section>
  );
}
