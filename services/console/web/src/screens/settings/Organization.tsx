// The organisation's defaults (contacts service): its name, the country phone numbers without a
// country code are read in, the language contacts without one are written to, its time zone.
// Only what changed is sent; a refused value is marked where it was typed.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, get } from "../../api";
import { Field, Notice, Problem, Title } from "../../components";
import { type FieldErrors, fieldErrors, placed, useFocusInvalid } from "./errors";
import { countries, languageName, timeIn, timeZones } from "./places";
import type { Organization } from "./types";

const FIELDS = ["name", "default_country", "default_language", "timezone"] as const;
type Form = Record<(typeof FIELDS)[number], string>;

function formOf(org: Organization): Form {
  return {
    name: org.name ?? "",
    default_country: org.default_country ?? "",
    default_language: org.default_language ?? "",
    timezone: org.timezone,
  };
}

export function OrganizationSettings() {
  const [org, setOrg] = useState<Organization | null>(null);
  const [form, setForm] = useState<Form | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [problem, setProblem] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const refused = useFocusInvalid(formRef);

  useEffect(() => {
    get<Organization>("/v1/organization").then((answer) => {
      setOrg(answer);
      setForm(formOf(answer));
    }, setProblem);
  }, []);

  const set = (key: keyof Form, value: string) => {
    if (form) setForm({ ...form, [key]: value });
    if (errors[key]) setErrors({ ...errors, [key]: "" });
  };

  const save = async (event: Event) => {
    event.preventDefault();
    if (!org || !form) return;
    setProblem(null);
    setNotice(null);
    setErrors({});
    const before = formOf(org);
    const changes: Record<string, string | null> = {};
    for (const key of FIELDS) {
      const value = form[key].trim();
      if (value !== before[key]) changes[key] = value || null;
    }
    if (Object.keys(changes).length === 0) {
      setNotice("Nothing changed.");
      return;
    }
    setBusy(true);
    try {
      const saved = await api<Organization>("PATCH", "/v1/organization", { body: changes });
      setOrg(saved);
      setForm(formOf(saved));
      setNotice("Organisation settings saved.");
    } catch (error) {
      const found = fieldErrors(error, { language: "default_language" });
      if (placed(found, FIELDS)) {
        setErrors(found);
        refused();
      } else setProblem(error);
    } finally {
      setBusy(false);
    }
  };

  const now = form ? timeIn(form.timezone.trim()) : null;
  return (
    <section>
      <Title>Organisation</Title>
      <p class="hint">The defaults every contact of your organisation is read and written with.</p>
      <Problem error={problem} />
      {notice ? <Notice>{notice}</Notice> : null}
      {org && form ? (
        <form ref={formRef} onSubmit={save} class="stack" noValidate>
          <dl class="settings-facts">
            <dt>Organisation ID</dt>
            <dd>
              <code>{org.id}</code>
            </dd>
          </dl>
          <Field id="org-name" label="Name" error={errors.name}>
            {(d) => (
              <input
                id="org-name"
                maxLength={128}
                value={form.name}
                aria-describedby={d}
                aria-invalid={errors.name ? true : undefined}
                onInput={(e) => set("name", e.currentTarget.value)}
              />
            )}
          </Field>
          <Field
            id="org-country"
            label="Default country"
            error={errors.default_country}
            hint="Phone numbers written without a country code are read as this country's."
          >
            {(d) => (
              <select
                id="org-country"
                value={form.default_country}
                aria-describedby={d}
                aria-invalid={errors.default_country ? true : undefined}
                onChange={(e) => set("default_country", e.currentTarget.value)}
              >
                <option value="">Not set</option>
                {countries().map((c) => (
                  <option key={c.code} value={c.code}>
                    {c.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field
            id="org-language"
            label="Default language"
            error={errors.default_language}
            hint={`An ISO 639 code or a language's name (eng, swa, Kiswahili); contacts with no language of their own get messages in it.${
              org.default_language ? ` Now: ${languageName(org.default_language)} (${org.default_language}).` : ""
            }`}
          >
            {(d) => (
              <input
                id="org-language"
                maxLength={64}
                value={form.default_language}
                aria-describedby={d}
                aria-invalid={errors.default_language ? true : undefined}
                onInput={(e) => set("default_language", e.currentTarget.value)}
              />
            )}
          </Field>
          <Field
            id="org-timezone"
            label="Time zone"
            error={errors.timezone}
            hint={`An IANA time zone name, such as Africa/Nairobi.${now ? ` The time there now: ${now}.` : ""}`}
          >
            {(d) => (
              <input
                id="org-timezone"
                list="org-timezones"
                required
                autoComplete="off"
                value={form.timezone}
                aria-describedby={d}
                aria-invalid={errors.timezone ? true : undefined}
                onInput={(e) => set("timezone", e.currentTarget.value)}
              />
            )}
          </Field>
          <datalist id="org-timezones">
            {timeZones().map((zone) => (
              <option key={zone} value={zone} />
            ))}
          </datalist>
          <div class="actions">
            <button type="submit" disabled={busy}>
              Save settings
            </button>
          </div>
        </form>
      ) : null}
    </section>
  );
}
