// A template's form: its name (as WhatsApp names templates), category, one text per language,
// and a value for each placeholder the texts use: `@contact.first_name`, literal text, or both,
// with a fallback for contacts who have no value. The placeholders listed are those the texts
// use, so the parameters always match them.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api, get } from "../../api";
import { Field, Link, Problem, Title } from "../../components";
import { navigate } from "../../router";
import { type FieldErrors, fieldErrors, placed, useFocusInvalid } from "./errors";
import { languageName } from "./places";
import type { Organization, Template } from "./types";

const FIELDS = ["name", "category", "variants", "parameters", "variant", "param"];
const CATEGORIES = [
  { value: "utility", label: "Utility: about something the contact asked for or takes part in" },
  { value: "marketing", label: "Marketing: news, offers, invitations" },
  { value: "authentication", label: "Authentication: one-time codes" },
];
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const POSITIONAL = /^[1-9][0-9]{0,2}$/;

interface Variant {
  key: number;
  language: string;
  text: string;
}
interface Parameter {
  value: string;
  fallback: string;
}

/** The placeholders the texts use: `1, 2, 3` in order, or names as they first appear. */
function placeholders(variants: Variant[]): string[] {
  const seen: string[] = [];
  for (const v of variants) {
    for (const m of v.text.matchAll(PLACEHOLDER)) {
      const name = m[1] ?? "";
      if (name && !seen.includes(name)) seen.push(name);
    }
  }
  if (seen.every((n) => POSITIONAL.test(n))) seen.sort((a, b) => Number(a) - Number(b));
  return seen;
}

export function TemplateForm(props: { id?: string }) {
  const [template, setTemplate] = useState<Template | null>(null);
  const [name, setName] = useState("");
  const [category, setCategory] = useState("utility");
  const [variants, setVariants] = useState<Variant[]>([{ key: 1, language: "", text: "" }]);
  const [params, setParams] = useState<Record<string, Parameter>>({});
  const [errors, setErrors] = useState<FieldErrors>({});
  const [problem, setProblem] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const nextKey = useRef(2);
  const formRef = useRef<HTMLFormElement>(null);
  const refused = useFocusInvalid(formRef);
  const [focusKey, setFocusKey] = useState<number | null>(null);

  useEffect(() => {
    if (props.id) {
      get<Template>(`/v1/templates/${encodeURIComponent(props.id)}`).then((t) => {
        setTemplate(t);
        setName(t.name);
        setCategory(t.category);
        const rows = Object.entries(t.variants).map(([language, text], i) => ({ key: i + 1, language, text }));
        nextKey.current = rows.length + 1;
        setVariants(rows.length ? rows : [{ key: 1, language: "", text: "" }]);
        setParams(
          Object.fromEntries(
            Object.entries(t.parameters).map(([n, given]) => [
              n,
              typeof given === "string"
                ? { value: given, fallback: "" }
                : { value: given.value ?? "", fallback: given.fallback ?? "" },
            ]),
          ),
        );
      }, setProblem);
    } else {
      // A new template starts in the organisation's language.
      get<Organization>("/v1/organization").then(
        (org) =>
          setVariants((rows) =>
            rows.length === 1 && rows[0] && !rows[0].language
              ? [{ ...rows[0], language: org.default_language ?? "eng" }]
              : rows,
          ),
        () => undefined,
      );
    }
  }, [props.id]);
  useEffect(() => {
    if (focusKey !== null) document.getElementById(`variant-${focusKey}-language`)?.focus();
  }, [focusKey]);

  const used = placeholders(variants);
  const clear = (...keys: string[]) => {
    if (keys.some((k) => errors[k]))
      setErrors(Object.fromEntries(Object.entries(errors).filter(([k]) => !keys.includes(k))));
  };
  const setVariant = (key: number, change: Partial<Variant>) => {
    setVariants(variants.map((v) => (v.key === key ? { ...v, ...change } : v)));
    clear(`variant.${key}`, `variant.${key}.at`, "variants");
  };
  const setParam = (n: string, change: Partial<Parameter>) => {
    setParams({ ...params, [n]: { value: "", fallback: "", ...params[n], ...change } });
    clear(`param.${n}`, "parameters");
  };
  const addVariant = () => {
    const key = nextKey.current++;
    setVariants([...variants, { key, language: "", text: "" }]);
    setFocusKey(key);
  };

  /** What the form itself can tell before sending. */
  const check = (): FieldErrors => {
    const found: FieldErrors = {};
    if (!name.trim()) found.name = "A template needs a name";
    const seen = new Set<string>();
    for (const v of variants) {
      const language = v.language.trim().toLowerCase();
      if (!language) found[`variant.${v.key}`] = "Which language is this text in?";
      else if (seen.has(language)) found[`variant.${v.key}`] = "Another text is in this language already";
      else if (!v.text.trim()) {
        found[`variant.${v.key}`] = "Write the text in this language";
        found[`variant.${v.key}.at`] = "text";
      }
      seen.add(language);
    }
    for (const n of used) if (!params[n]?.value.trim()) found[`param.${n}`] = "Give this parameter a value";
    return found;
  };

  /** A refusal by the dispatcher, put by the language or parameter it names. */
  const place = (error: unknown): FieldErrors => {
    const found = fieldErrors(error);
    if (!(error instanceof ApiError)) return found;
    const { language, parameter, expression } = error.details;
    if (typeof language === "string") {
      const said = language.toLowerCase();
      const row =
        variants.find((v) => v.language.trim().toLowerCase() === said) ??
        variants.find((v) => languageName(v.language.trim()) === languageName(said));
      if (row) {
        found[`variant.${row.key}`] = error.message;
        // Placeholders that differ, or a text too long: the text is at fault, else the language.
        const inText = error.code === "template_parameter_mismatch" || error.message.startsWith("a variant is");
        if (inText) found[`variant.${row.key}.at`] = "text";
        delete found.variants;
      } else found.variants ??= error.message;
    }
    if (typeof parameter === "string") found[`param.${parameter}`] = error.message;
    if (typeof expression === "string") {
      const where = used.find((n) => params[n]?.value.includes(expression));
      if (where) found[`param.${where}`] = error.message;
    }
    return found;
  };

  const save = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    const local = check();
    setErrors(local);
    if (Object.keys(local).length) {
      refused();
      return;
    }
    const body = {
      name: name.trim(),
      category,
      variants: Object.fromEntries(variants.map((v) => [v.language.trim(), v.text])),
      parameters: Object.fromEntries(
        used.map((n) => {
          const value = params[n]?.value.trim() ?? "";
          const fallback = params[n]?.fallback.trim() ?? "";
          return [n, fallback ? { value, fallback } : value];
        }),
      ),
    };
    setBusy(true);
    try {
      const saved = template
        ? await api<Template>("PATCH", `/v1/templates/${encodeURIComponent(template.id)}`, {
            body: { ...body, version: template.version },
          })
        : await api<Template>("POST", "/v1/templates", { body });
      navigate(`/settings/templates?saved=${encodeURIComponent(saved.name)}`);
    } catch (error) {
      const found = place(error);
      if (placed(found, FIELDS)) {
        setErrors(found);
        refused();
      } else setProblem(error);
      setBusy(false);
    }
  };

  if (props.id && !template) {
    return (
      <section>
        <Title>Template</Title>
        <p>
          <Link href="/settings/templates">Back to templates</Link>
        </p>
        <Problem error={problem} />
      </section>
    );
  }
  return (
    <section>
      <p>
        <Link href="/settings/templates">Back to templates</Link>
      </p>
      <Title>{template ? `Edit template ${template.name}` : "New template"}</Title>
      <Problem error={problem} />
      <form ref={formRef} onSubmit={save} class="settings-template" noValidate>
        <div class="settings-pair">
          <Field
            id="template-name"
            label="Name"
            error={errors.name}
            hint="Lowercase letters, digits and underscores, as WhatsApp names templates: term_dates."
          >
            {(d) => (
              <input
                id="template-name"
                required
                maxLength={512}
                pattern="[a-z0-9_]+"
                spellcheck={false}
                value={name}
                aria-describedby={d}
                aria-invalid={errors.name ? true : undefined}
                onInput={(e) => {
                  setName(e.currentTarget.value);
                  clear("name");
                }}
              />
            )}
          </Field>
          <Field id="template-category" label="Category" error={errors.category}>
            {(d) => (
              <select
                id="template-category"
                value={category}
                aria-describedby={d}
                aria-invalid={errors.category ? true : undefined}
                onChange={(e) => setCategory(e.currentTarget.value)}
              >
                {CATEGORIES.map((c) => (
                  <option key={c.value} value={c.value}>
                    {c.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>

        <h2>Languages</h2>
        <p class="hint">
          One text per language; each contact gets theirs, or the organisation's language. Placeholders are numbered (
          <code>{"{{1}}"}</code>, <code>{"{{2}}"}</code>) or named (<code>{"{{first_name}}"}</code>), and every language
          uses the same ones.
        </p>
        {errors.variants ? <p class="error">{errors.variants}</p> : null}
        {variants.map((v, index) => {
          const error = errors[`variant.${v.key}`];
          const inText = errors[`variant.${v.key}.at`] === "text";
          const errorId = `variant-${v.key}-error`;
          const spoken = languageName(v.language.trim());
          return (
            <fieldset key={v.key} class={`settings-variant${error ? " has-error" : ""}`}>
              <legend>Variant {index + 1}</legend>
              <div class="settings-variant-fields">
                <div class="field">
                  <label for={`variant-${v.key}-language`}>Language</label>
                  <input
                    id={`variant-${v.key}-language`}
                    required
                    maxLength={64}
                    spellcheck={false}
                    value={v.language}
                    aria-describedby={`variant-${v.key}-language-hint${error && !inText ? ` ${errorId}` : ""}`}
                    aria-invalid={error && !inText ? true : undefined}
                    onInput={(e) => setVariant(v.key, { language: e.currentTarget.value })}
                  />
                  <small id={`variant-${v.key}-language-hint`} class="hint">
                    {spoken && spoken !== v.language.trim() ? spoken : "ISO 639 code: eng, swa, fra"}
                  </small>
                </div>
                <div class="field grow">
                  <label for={`variant-${v.key}-text`}>Text</label>
                  <textarea
                    id={`variant-${v.key}-text`}
                    required
                    maxLength={1024}
                    value={v.text}
                    aria-describedby={error && inText ? errorId : undefined}
                    aria-invalid={error && inText ? true : undefined}
                    onInput={(e) => setVariant(v.key, { text: e.currentTarget.value })}
                  />
                </div>
              </div>
              {error ? (
                <small id={errorId} class="error">
                  {error}
                </small>
              ) : null}
              {variants.length > 1 ? (
                <div class="actions">
                  <button
                    type="button"
                    class="quiet"
                    onClick={() => setVariants(variants.filter((other) => other.key !== v.key))}
                  >
                    Remove<span class="visually-hidden"> variant {index + 1}</span>
                  </button>
                </div>
              ) : null}
            </fieldset>
          );
        })}
        <div class="actions">
          <button type="button" class="quiet" onClick={addVariant}>
            + Add a language
          </button>
        </div>

        <h2>Parameters</h2>
        {errors.parameters ? <p class="error">{errors.parameters}</p> : null}
        {used.length === 0 ? (
          <p class="empty">The texts use no placeholders.</p>
        ) : (
          <>
            <p class="hint">
              What each placeholder says: text, with <code>@contact.name</code>, <code>@contact.first_name</code>,{" "}
              <code>@contact.phone</code>, <code>@contact.language</code> or <code>@contact.fields.&lt;key&gt;</code> in
              it. A contact with no value gets the fallback, or is left out of the broadcast.
            </p>
            {used.map((n) => (
              <div class="settings-param" key={n}>
                <Field id={`param-${n}-value`} label={`Value of {{${n}}}`} error={errors[`param.${n}`]}>
                  {(d) => (
                    <input
                      id={`param-${n}-value`}
                      required
                      maxLength={1024}
                      spellcheck={false}
                      value={params[n]?.value ?? ""}
                      aria-describedby={d}
                      aria-invalid={errors[`param.${n}`] ? true : undefined}
                      onInput={(e) => setParam(n, { value: e.currentTarget.value })}
                    />
                  )}
                </Field>
                <Field id={`param-${n}-fallback`} label={`Fallback for {{${n}}} (optional)`}>
                  {(d) => (
                    <input
                      id={`param-${n}-fallback`}
                      maxLength={1024}
                      value={params[n]?.fallback ?? ""}
                      aria-describedby={d}
                      onInput={(e) => setParam(n, { fallback: e.currentTarget.value })}
                    />
                  )}
                </Field>
              </div>
            ))}
          </>
        )}
        <div class="actions">
          <Link class="button quiet" href="/settings/templates">
            Cancel
          </Link>
          <button type="submit" disabled={busy}>
            Save template
          </button>
        </div>
      </form>
    </section>
  );
}
