// The import wizard: the template to start from; a file read as the importer will read it (its
// format, what each column means, editable, the first rows as they will be stored and the
// problems found); the options; then the import's live progress, its summary and its error
// report. Recent imports are listed as notifications, newest first.
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, get } from "../api";
import { Field, Link, Problem, TableHead, Title, when } from "../components";
import { download } from "../download";
import type { Group } from "../model";
import { navigate } from "../router";

interface Preview {
  format: { kind: string; encoding: string | null; delimiter: string | null };
  mapping: Record<string, string>;
  new_fields: Record<string, { label: string; type: string }>;
  rows: {
    row: number;
    phone?: string;
    attributes?: Record<string, unknown>;
    fields?: Record<string, unknown>;
    groups?: string[];
  }[];
  errors: { row: number; column?: string; value?: string; code: string; message: string }[];
  sample: { rows: number; ok: number; failed: number };
}

export interface ImportJob {
  id: string;
  status: "queued" | "validating" | "importing" | "completed" | "failed" | "cancelled";
  file_name: string;
  total_rows: number;
  counters: { rows_read: number; created: number; updated: number; unchanged: number; skipped: number; failed: number };
  error: string | null;
  created_at: string;
  finished_at: string | null;
  report_deleted_at: string | null;
  options: { mode: string; group: string | null; opt_in: boolean };
}

interface FieldDefinition {
  key: string;
  label: string;
}

const MEANINGS: { value: string; label: string }[] = [
  { value: "phone", label: "Phone" },
  { value: "name", label: "Name" },
  { value: "secondary_phone", label: "Secondary phone" },
  { value: "email", label: "Email" },
  { value: "category", label: "Category" },
  { value: "language", label: "Language" },
  { value: "opt_in", label: "Opted in (yes/no)" },
  { value: "groups", label: "Collections" },
  { value: "status", label: "Status" },
  { value: "ignore", label: "Leave out" },
];
export const ENDED = ["completed", "failed", "cancelled"];

function meaningOptions(current: string, fields: FieldDefinition[], preview: Preview | null) {
  const options = [...MEANINGS];
  const known = new Set(options.map((o) => o.value));
  const add = (value: string, label: string) => {
    if (!known.has(value)) {
      known.add(value);
      options.push({ value, label });
    }
  };
  for (const f of fields) add(`field:${f.key}`, `Field: ${f.label}`);
  for (const [key, f] of Object.entries(preview?.new_fields ?? {})) add(`field:${key}`, `New field: ${f.label}`);
  add(current, current.startsWith("field:") ? `Field: ${current.slice(6)}` : current);
  return options;
}

function Wizard() {
  const [file, setFile] = useState<File | null>(null);
  const [country, setCountry] = useState("");
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [preview, setPreview] = useState<Preview | null>(null);
  // What each column was taken for when the file could not be read as mapped (no phone
  // column, say): shown so that the column can be mapped by hand.
  const [refusedMapping, setRefusedMapping] = useState<Record<string, string> | null>(null);
  const [fields, setFields] = useState<FieldDefinition[]>([]);
  const [groups, setGroups] = useState<Group[]>([]);
  const [collection, setCollection] = useState<"file" | "existing" | "new" | "none">("file");
  const [existing, setExisting] = useState("");
  const [newName, setNewName] = useState("");
  const [mode, setMode] = useState<"create" | "upsert">("create");
  const [optIn, setOptIn] = useState(false);
  const [createFields, setCreateFields] = useState(true);
  const [problem, setProblem] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    get<FieldDefinition[]>("/v1/fields").then(setFields, () => undefined);
    get<{ items: Group[] }>("/v1/groups").then(
      (a) => setGroups(a.items.filter((g) => g.type === "manual")),
      () => undefined,
    );
  }, []);

  const form = (withOptions: boolean): FormData => {
    const data = new FormData();
    if (file) data.append("file", file);
    if (country.trim()) data.append("default_country", country.trim().toUpperCase());
    if (Object.keys(mapping).length) data.append("mapping", JSON.stringify(mapping));
    if (withOptions) {
      data.append("mode", mode);
      data.append("opt_in", String(optIn));
      data.append("create_fields", String(createFields));
      if (collection === "existing" && existing) data.append("group", existing);
      else if (collection === "new" && newName.trim()) data.append("group", newName.trim());
      else if (collection === "none") data.append("no_group", "true");
    }
    return data;
  };

  useEffect(() => {
    if (!file) return;
    let live = true;
    setProblem(null);
    const timer = setTimeout(() => {
      api<Preview>("POST", "/v1/imports/preview", { form: form(false) }).then(
        (answer) => {
          if (!live) return;
          setPreview(answer);
          setRefusedMapping(null);
        },
        (error) => {
          if (!live) return;
          setPreview(null);
          setProblem(error);
          const detected = error instanceof ApiError ? error.details.detected : null;
          setRefusedMapping(detected && typeof detected === "object" ? (detected as Record<string, string>) : null);
        },
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [file, country, mapping]);

  const start = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const job = await api<ImportJob>("POST", "/v1/imports", { form: form(true) });
      navigate(`/imports/${encodeURIComponent(job.id)}`);
    } catch (error) {
      setProblem(error);
      setBusy(false);
    }
  };

  const shown = preview?.mapping ?? (refusedMapping ? { ...refusedMapping, ...mapping } : {});
  const columns = Object.keys(shown);
  const existingName = groups.find((g) => g.id === existing)?.name;
  return (
    <form onSubmit={start} class="wizard">
      <h2>1. The file</h2>
      <div class="actions">
        <button
          type="button"
          class="quiet"
          onClick={() => void download("/v1/imports/template?format=csv", "contacts-template.csv").catch(setProblem)}
        >
          Download the CSV template
        </button>
        <button
          type="button"
          class="quiet"
          onClick={() => void download("/v1/imports/template?format=xlsx", "contacts-template.xlsx").catch(setProblem)}
        >
          Download the XLSX template
        </button>
      </div>
      <div class="filters">
        <Field id="import-file" label="CSV or XLSX file">
          {(d) => (
            <input
              id="import-file"
              type="file"
              accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
              aria-describedby={d}
              onChange={(e) => {
                setMapping({});
                setFile(e.currentTarget.files?.[0] ?? null);
              }}
            />
          )}
        </Field>
        <Field
          id="import-country"
          label="Default country"
          hint="For numbers written without their country code, e.g. KE"
        >
          {(d) => (
            <input
              id="import-country"
              maxLength={2}
              size={4}
              value={country}
              aria-describedby={d}
              onInput={(e) => setCountry(e.currentTarget.value)}
            />
          )}
        </Field>
      </div>
      <Problem error={problem} />
      {columns.length ? (
        <>
          <h2>2. What each column means</h2>
          {preview ? (
            <p>
              Read as {preview.format.kind.toUpperCase()}
              {preview.format.encoding ? `, ${preview.format.encoding}` : ""}
              {preview.format.delimiter ? `, separated by “${preview.format.delimiter}”` : ""}. Of the first{" "}
              {preview.sample.rows} rows, {preview.sample.ok} are ready and {preview.sample.failed} have problems.
            </p>
          ) : (
            <p>Choose what the columns mean: the file cannot be read as it is.</p>
          )}
          <div class="table-wrap">
            <table>
              <caption>Columns of the file</caption>
              <TableHead columns={["Column", "Means"]} />
              <tbody>
                {columns.map((column, i) => (
                  <tr key={column}>
                    <th scope="row">{column}</th>
                    <td>
                      <label class="visually-hidden" for={`meaning-${i}`}>
                        What “{column}” means
                      </label>
                      <select
                        id={`meaning-${i}`}
                        value={shown[column]}
                        onChange={(e) => setMapping({ ...mapping, [column]: e.currentTarget.value })}
                      >
                        {meaningOptions(shown[column] ?? "ignore", fields, preview).map((o) => (
                          <option key={o.value} value={o.value}>
                            {o.label}
                          </option>
                        ))}
                      </select>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
      {preview ? (
        <>
          <h3>The first rows, as they will be read</h3>
          <div class="table-wrap">
            <table>
              <caption>Rows ready to import</caption>
              <TableHead columns={["Row", "Phone", "Attributes", "Fields"]} />
              <tbody>
                {preview.rows.map((row) => (
                  <tr key={row.row}>
                    <td>{row.row}</td>
                    <td>{row.phone ?? ""}</td>
                    <td>
                      {Object.entries(row.attributes ?? {})
                        .map(([k, v]) => `${k}: ${String(v)}`)
                        .join(", ")}
                    </td>
                    <td>
                      {Object.entries(row.fields ?? {})
                        .map(([k, v]) => `${k}: ${String(v)}`)
                        .join(", ")}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {preview.errors.length ? (
            <>
              <h3>Problems found</h3>
              <ul class="problems">
                {preview.errors.map((e) => (
                  <li key={`${e.row}-${e.column ?? ""}-${e.code}`}>
                    Row {e.row}
                    {e.column ? `, column “${e.column}”` : ""}
                    {e.value !== undefined ? ` (“${e.value}”)` : ""}: {e.message}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          <h2>3. Options</h2>
          <fieldset>
            <legend>Collection</legend>
            {(
              [
                ["file", `A new collection named after the file (${file?.name ?? ""})`],
                ["existing", "An existing collection"],
                ["new", "A new collection named"],
                ["none", "No collection"],
              ] as const
            ).map(([value, label]) => (
              <div class="field check" key={value}>
                <input
                  type="radio"
                  id={`collection-${value}`}
                  name="collection"
                  checked={collection === value}
                  onChange={() => setCollection(value)}
                />
                <label for={`collection-${value}`}>{label}</label>
              </div>
            ))}
            {collection === "existing" ? (
              <div class="field">
                <label for="existing-collection">Existing collection</label>
                <select id="existing-collection" value={existing} onChange={(e) => setExisting(e.currentTarget.value)}>
                  <option value="">Choose…</option>
                  {groups.map((g) => (
                    <option key={g.id} value={g.name}>
                      {g.name}
                    </option>
                  ))}
                </select>
              </div>
            ) : null}
            {collection === "new" ? (
              <div class="field">
                <label for="new-collection">New collection's title</label>
                <input id="new-collection" value={newName} onInput={(e) => setNewName(e.currentTarget.value)} />
              </div>
            ) : null}
          </fieldset>
          <fieldset>
            <legend>Contacts already in Roster</legend>
            <div class="field check">
              <input
                type="radio"
                id="mode-create"
                name="mode"
                checked={mode === "create"}
                onChange={() => setMode("create")}
              />
              <label for="mode-create">Leave them as they are (only new contacts are created)</label>
            </div>
            <div class="field check">
              <input
                type="radio"
                id="mode-upsert"
                name="mode"
                checked={mode === "upsert"}
                onChange={() => setMode("upsert")}
              />
              <label for="mode-upsert">Update them from the file, and move them into the collection</label>
            </div>
          </fieldset>
          <div class="field check">
            <input
              id="import-opt-in"
              type="checkbox"
              checked={optIn}
              onChange={(e) => setOptIn(e.currentTarget.checked)}
            />
            <label for="import-opt-in">These contacts have opted in</label>
          </div>
          <div class="field check">
            <input
              id="import-create-fields"
              type="checkbox"
              checked={createFields}
              onChange={(e) => setCreateFields(e.currentTarget.checked)}
            />
            <label for="import-create-fields">Create the fields the file brings</label>
          </div>
          <div class="actions">
            <button
              type="submit"
              disabled={
                busy || (collection === "existing" && !existingName) || (collection === "new" && !newName.trim())
              }
            >
              Start import
            </button>
          </div>
        </>
      ) : null}
    </form>
  );
}

function Recent() {
  const [jobs, setJobs] = useState<ImportJob[] | null>(null);
  useEffect(() => {
    get<{ items: ImportJob[] }>("/v1/imports?limit=20").then(
      (a) => setJobs(a.items),
      () => setJobs([]),
    );
  }, []);
  return (
    <section aria-labelledby="recent-imports">
      <h2 id="recent-imports">Recent imports</h2>
      {jobs && jobs.length === 0 ? <p class="empty">No imports yet.</p> : null}
      <ul class="notifications">
        {(jobs ?? []).map((job) => (
          <li key={job.id} class={`import-${job.status}`}>
            <Link href={`/imports/${encodeURIComponent(job.id)}`}>{job.file_name}</Link>: {job.status}
            {ENDED.includes(job.status)
              ? `, ${job.counters.created} created, ${job.counters.updated} updated, ${job.counters.failed + job.counters.skipped} not imported`
              : ""}{" "}
            <time>{when(job.created_at)}</time>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function Imports() {
  return (
    <section>
      <Title>Import contacts</Title>
      <Wizard />
      <Recent />
    </section>
  );
}
