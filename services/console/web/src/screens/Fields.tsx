// Contact fields: the list, creating one, changing its label, type or place, deleting it, and
// where it is used (smart collections whose query names it: those refuse its deletion).
import { useEffect, useState } from "preact/hooks";
import { api, get } from "../api";
import { Confirm, Field, Notice, Problem, Title } from "../components";

interface FieldView {
  key: string;
  label: string;
  type: string;
  featured: boolean;
  order: number;
  values_pending: boolean;
  version: number;
}

const TYPES = ["text", "number", "datetime", "boolean", "state", "district", "ward"];

function FieldForm(props: { field?: FieldView; onSaved: (f: FieldView) => void; onCancel?: () => void }) {
  const [label, setLabel] = useState(props.field?.label ?? "");
  const [type, setType] = useState(props.field?.type ?? "text");
  const [featured, setFeatured] = useState(props.field?.featured ?? false);
  const [problem, setProblem] = useState<unknown>(null);
  const id = props.field ? `field-${props.field.key}` : "new-field";
  const save = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    try {
      const saved = props.field
        ? await api<FieldView>("PATCH", `/v1/fields/${encodeURIComponent(props.field.key)}`, {
            body: { label: label.trim(), type, featured },
          })
        : await api<FieldView>("POST", "/v1/fields", { body: { label: label.trim(), type, featured } });
      props.onSaved(saved);
      if (!props.field) setLabel("");
    } catch (error) {
      setProblem(error);
    }
  };
  return (
    <form onSubmit={save} class="inline-form" aria-label={props.field ? `Edit ${props.field.label}` : "New field"}>
      <Field id={`${id}-label`} label="Label">
        {(d) => (
          <input
            id={`${id}-label`}
            required
            maxLength={64}
            value={label}
            aria-describedby={d}
            onInput={(e) => setLabel(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field id={`${id}-type`} label="Type" hint={props.field ? "Values are converted to the new type" : undefined}>
        {(d) => (
          <select id={`${id}-type`} value={type} aria-describedby={d} onChange={(e) => setType(e.currentTarget.value)}>
            {TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        )}
      </Field>
      <div class="field check">
        <input
          id={`${id}-featured`}
          type="checkbox"
          checked={featured}
          onChange={(e) => setFeatured(e.currentTarget.checked)}
        />
        <label for={`${id}-featured`}>Featured</label>
      </div>
      <div class="actions">
        {props.onCancel ? (
          <button type="button" class="quiet" onClick={props.onCancel}>
            Cancel
          </button>
        ) : null}
        <button type="submit">{props.field ? "Save field" : "Create field"}</button>
      </div>
      <Problem error={problem} />
    </form>
  );
}

export function Fields() {
  const [fields, setFields] = useState<FieldView[] | null>(null);
  const [usage, setUsage] = useState<Record<string, string[]>>({});
  const [editing, setEditing] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<FieldView | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    get<FieldView[]>("/v1/fields").then(setFields, setProblem);
  }, [reload]);

  const saved = (message: string) => {
    setNotice(message);
    setReload((n) => n + 1);
  };
  const whereUsed = async (key: string) => {
    try {
      const answer = await get<{ smart_groups: { id?: string; name?: string }[] }>(
        `/v1/fields/${encodeURIComponent(key)}/where-used`,
      );
      setUsage({ ...usage, [key]: answer.smart_groups.map((g) => g.name ?? g.id ?? "?") });
    } catch (error) {
      setProblem(error);
    }
  };
  const remove = async () => {
    const field = deleting;
    setDeleting(null);
    if (!field) return;
    try {
      await api("DELETE", `/v1/fields/${encodeURIComponent(field.key)}`);
      setNotice(`${field.label} deleted`);
      setReload((n) => n + 1);
    } catch (error) {
      setProblem(error);
    }
  };

  return (
    <section>
      <Title>Fields</Title>
      {notice ? <Notice>{notice}</Notice> : null}
      <Problem error={problem} />
      <h2>New field</h2>
      <FieldForm onSaved={(f) => saved(`${f.label} created (key ${f.key})`)} />
      <div class="table-wrap">
        <table>
          <caption>Fields of your contacts</caption>
          <thead>
            <tr>
              <th scope="col">Label</th>
              <th scope="col">Key</th>
              <th scope="col">Type</th>
              <th scope="col">Used by</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(fields ?? []).map((f) =>
              editing === f.key ? (
                <tr key={f.key}>
                  <td colSpan={5}>
                    <FieldForm
                      field={f}
                      onCancel={() => setEditing(null)}
                      onSaved={(field) => {
                        setEditing(null);
                        saved(`${field.label} saved`);
                      }}
                    />
                  </td>
                </tr>
              ) : (
                <tr key={f.key}>
                  <td>
                    {f.label}
                    {f.featured ? " ★" : ""}
                  </td>
                  <td>
                    <code>{f.key}</code>
                  </td>
                  <td>
                    {f.type}
                    {f.values_pending ? " (values converting)" : ""}
                  </td>
                  <td>
                    {usage[f.key] ? (
                      usage[f.key]?.length ? (
                        usage[f.key]?.join(", ")
                      ) : (
                        "Nothing"
                      )
                    ) : (
                      <button type="button" class="quiet" onClick={() => void whereUsed(f.key)}>
                        Where used: {f.label}
                      </button>
                    )}
                  </td>
                  <td class="row-actions">
                    <button type="button" class="quiet" onClick={() => setEditing(f.key)}>
                      Edit {f.label}
                    </button>
                    <button type="button" class="danger" onClick={() => setDeleting(f)}>
                      Delete {f.label}
                    </button>
                  </td>
                </tr>
              ),
            )}
          </tbody>
        </table>
        {fields && fields.length === 0 ? <p class="empty">No fields yet.</p> : null}
      </div>
      <Confirm
        open={deleting !== null}
        title={`Delete ${deleting?.label ?? ""}?`}
        confirm="Delete field"
        onConfirm={() => void remove()}
        onCancel={() => setDeleting(null)}
      >
        <p>Every contact's value of this field goes with it. This cannot be undone.</p>
      </Confirm>
    </section>
  );
}
