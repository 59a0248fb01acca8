// Sending: the audience (collections, a query, chosen contacts), the channel, the message (a
// template, its variables shown per language, or text), the pre-send summary the dispatcher
// computes (who will receive, who is excluded and why, how long it takes) and "OK, send"; then
// the broadcast's progress and its report, one line per recipient.
import { useEffect, useState } from "preact/hooks";
import { api, get } from "../api";
import { ChannelSelect, useChannelChoice } from "../channels";
import { GroupChecklist, Link, Problem, TableHead, Title, when } from "../components";
import { useChosen } from "../hooks";
import type { Group, Page } from "../model";
import { QueryError, useQueryCheck } from "../query";
import { type Location, navigate } from "../router";

interface Template {
  id: string;
  name: string;
  category: string;
  variants: Record<string, string>;
  parameters: Record<string, string | { value?: string; fallback?: string | null }>;
}

interface Preview {
  audience: number;
  will_receive: number;
  excluded: Record<string, number>;
  not_found: number;
  eta_seconds: number;
}

export interface Broadcast {
  id: string;
  state: "scheduled" | "resolving" | "sending" | "paused" | "completed" | "cancelled" | "failed";
  channel_id: string;
  groups: string[];
  contact_ids: number;
  query: string | null;
  text: string | null;
  template: { name?: string } | null;
  created_at: string;
  finished_at: string | null;
  failure: string | null;
  audience: number;
  will_receive: number;
  excluded: Record<string, number>;
  counts: Record<string, number>;
}

export interface Recipient {
  contact_id: string;
  phone: string;
  status: string;
  reason: string;
  updated_at: string;
}

// The dispatcher's exclusions (services/dispatcher/domain/audience.py), as people say them.
const REASONS: Record<string, string> = {
  blocked: "blocked",
  stopped: "stopped messages (opted out)",
  archived: "archived",
  blacklisted: "in a blacklist collection",
  excluded_group: "in a collection you left out",
  not_opted_in: "have not opted in, which this channel requires",
  no_phone: "no phone number",
  duplicate: "the same phone as another recipient",
  missing_variable: "no value for a template variable",
  no_template_language: "speak no language the template has",
  outside_window: "outside WhatsApp's 24-hour window (free text needs a recent message)",
};

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(/\{\{\s*([^}\s]+)\s*\}\}/g)].map((m) => m[1] as string))];
}

export function Broadcasts() {
  const [page, setPage] = useState<Page<Broadcast> | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  useEffect(() => {
    get<Page<Broadcast>>("/v1/broadcasts?limit=50").then(setPage, setProblem);
  }, []);
  return (
    <section>
      <div class="heading">
        <Title>Broadcasts</Title>
        <Link class="button" href="/broadcasts/new">
          + New broadcast
        </Link>
      </div>
      <Problem error={problem} />
      <div class="table-wrap">
        <table>
          <caption>Broadcasts, newest first</caption>
          <TableHead columns={["Created", "Message", "State", "Audience", "Sent"]} />
          <tbody>
            {(page?.items ?? []).map((b) => (
              <tr key={b.id}>
                <td>
                  <Link href={`/broadcasts/${encodeURIComponent(b.id)}`}>{when(b.created_at)}</Link>
                </td>
                <td>{b.template?.name ? `Template ${b.template.name}` : (b.text ?? "").slice(0, 60)}</td>
                <td>{b.state}</td>
                <td>{b.audience}</td>
                <td>{b.counts.sent ?? 0}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {page && page.items.length === 0 ? <p class="empty">Nothing sent yet.</p> : null}
      </div>
    </section>
  );
}

export function NewBroadcast(props: { location: Location }) {
  const [groups, setGroups] = useState<Group[]>([]);
  const { channel, setChannel, channels } = useChannelChoice();
  const [templates, setTemplates] = useState<Template[]>([]);
  const to = useChosen(props.location.params.getAll("group"));
  const except = useChosen();
  const [contactIds] = useState<string[]>(() =>
    (props.location.params.get("contacts") ?? "").split(",").filter(Boolean),
  );
  const [query, setQuery] = useState("");
  const check = useQueryCheck(query);
  const [kind, setKind] = useState<"template" | "text">("template");
  const [template, setTemplate] = useState("");
  const [text, setText] = useState("");
  const [preview, setPreview] = useState<Preview | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    get<{ items: Group[] }>("/v1/groups").then((a) => setGroups(a.items), setProblem);
    get<{ items: Template[] }>("/v1/templates").then((a) => setTemplates(a.items), setProblem);
  }, []);

  const queryReady = !query.trim() || (check?.checked === query && !check.error);
  const body = {
    groups: [...to.chosen],
    exclude_groups: [...except.chosen],
    contact_ids: contactIds,
    query: query.trim() || null,
    channel_id: channel,
    ...(kind === "template" ? { template_id: template || null } : { text: text.trim() || null }),
  };
  const hasAudience = to.chosen.size > 0 || contactIds.length > 0 || Boolean(query.trim());
  const hasMessage = kind === "template" ? Boolean(template) : Boolean(text.trim());
  const key = JSON.stringify(body);

  useEffect(() => {
    setPreview(null);
    if (!channel || !hasAudience || !queryReady) return;
    let live = true;
    const timer = setTimeout(() => {
      api<Preview>("POST", "/v1/broadcasts/preview", { body }).then(
        (answer) => live && setPreview(answer),
        (error) => live && setProblem(error),
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [key, queryReady]);

  const send = async () => {
    setBusy(true);
    setProblem(null);
    try {
      const started = await api<Broadcast>("POST", "/v1/broadcasts", { body });
      navigate(`/broadcasts/${encodeURIComponent(started.id)}`);
    } catch (error) {
      setProblem(error);
      setBusy(false);
    }
  };

  const picked = templates.find((t) => t.id === template);
  return (
    <section>
      <Title>Send a message</Title>
      <Problem error={problem} />
      <fieldset>
        <legend>Who</legend>
        {contactIds.length ? <p>{contactIds.length} contacts chosen in the contacts list.</p> : null}
        <div class="columns">
          <GroupChecklist
            legend="Collections"
            idPrefix="to"
            groups={groups}
            chosen={to.chosen}
            toggle={to.toggle}
            counts
          />
          <GroupChecklist
            legend="Except the members of"
            idPrefix="except"
            groups={groups}
            chosen={except.chosen}
            toggle={except.toggle}
          />
        </div>
        <div class="field">
          <label for="audience-query">And contacts matching (query language)</label>
          <input
            id="audience-query"
            value={query}
            aria-invalid={check?.error ? true : undefined}
            aria-describedby={check?.error ? "audience-query-error" : undefined}
            onInput={(e) => setQuery(e.currentTarget.value)}
          />
          <QueryError id="audience-query-error" text={query} check={check} />
        </div>
      </fieldset>
      <fieldset>
        <legend>How</legend>
        <ChannelSelect id="channel" channels={channels} value={channel} onChange={setChannel} />
        <div class="field check">
          <input
            type="radio"
            id="kind-template"
            name="kind"
            checked={kind === "template"}
            onChange={() => setKind("template")}
          />
          <label for="kind-template">A template (goes at any time)</label>
        </div>
        <div class="field check">
          <input type="radio" id="kind-text" name="kind" checked={kind === "text"} onChange={() => setKind("text")} />
          <label for="kind-text">Text (on WhatsApp only to those who wrote within a day)</label>
        </div>
        {kind === "template" ? (
          <div class="field">
            <label for="template">Template</label>
            <select id="template" value={template} onChange={(e) => setTemplate(e.currentTarget.value)}>
              <option value="">Choose…</option>
              {templates.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </div>
        ) : (
          <div class="field">
            <label for="text">Message</label>
            <textarea id="text" maxLength={4096} value={text} onInput={(e) => setText(e.currentTarget.value)} />
          </div>
        )}
        {picked ? (
          <div class="table-wrap">
            <table>
              <caption>Template {picked.name}, by language</caption>
              <TableHead columns={["Language", "Text", "Variables"]} />
              <tbody>
                {Object.entries(picked.variants).map(([language, body]) => (
                  <tr key={language}>
                    <td>{language}</td>
                    <td>{body}</td>
                    <td>
                      {placeholders(body)
                        .map((name) => {
                          const value = picked.parameters[name];
                          const shown = typeof value === "string" ? value : (value?.value ?? "?");
                          return `{{${name}}} = ${shown}`;
                        })
                        .join("; ")}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </fieldset>
      <section aria-labelledby="summary-heading" class="summary">
        <h2 id="summary-heading">Before sending</h2>
        {!preview ? (
          <p class="empty">Choose who and how to see who will receive it.</p>
        ) : (
          <div role="status">
            <p>
              <strong>{preview.will_receive}</strong> of {preview.audience} contacts will receive it
              {hasMessage ? "" : " (choose the message to count its own exclusions)"}.
            </p>
            <ul>
              {Object.entries(preview.excluded)
                .filter(([, n]) => n > 0)
                .map(([reason, n]) => (
                  <li key={reason}>
                    {n} excluded: {REASONS[reason] ?? reason}
                  </li>
                ))}
              {preview.not_found ? <li>{preview.not_found} chosen contacts were not found</li> : null}
            </ul>
            <p>Estimated time at the channel's rate: {duration(preview.eta_seconds)}.</p>
          </div>
        )}
        <button
          type="button"
          disabled={!preview || !hasMessage || busy || preview.will_receive === 0}
          onClick={() => void send()}
        >
          OK, send
        </button>
      </section>
    </section>
  );
}
