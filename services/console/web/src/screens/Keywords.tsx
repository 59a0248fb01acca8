// The opt-out and opt-in keywords (whole message, any case, per language), their replies, and the
// collection that those who opt in join.
import { useEffect, useState } from "preact/hooks";
import { api, get } from "../api";
import { Field, Link, Notice, Problem, Title } from "../components";
import type { Group } from "../model";

interface Keywords {
  opt_out: Record<string, string[]>;
  opt_in: Record<string, string[]>;
  reactivate_on_any_message: boolean;
  opt_out_reply: string | null;
  opt_in_reply: string | null;
  opt_in_group_id: string | null;
  version: number;
}

/** `{"*": ["STOP", "END"], "swa": ["ACHA"]}` as lines people edit: `*: STOP, END`. */

function asLines(words: Record<string, string[]>): string {
  return Object.entries(words)
    .map(([language, list]) => `${language}: ${list.join(", ")}`)
    .join("\n");
}

function fromLines(text: string): Record<string, string[]> {
  const words: Record<string, string[]> = {};
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const [language, list] = line.includes(":") ? line.split(/:(.*)/s) : ["*", line];
    words[(language ?? "*").trim() || "*"] = (list ?? "")
      .split(",")
      .map((w) => w.trim())
      .filter(Boolean);
  }
  return words;
}

export function KeywordsScreen() {
  const [keywords, setKeywords] = useState<Keywords | null>(null);
  const [optOut, setOptOut] = useState("");
  const [optIn, setOptIn] = useState("");
  const [groups, setGroups] = useState<Group[]>([]);
  const [problem, setProblem] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const show = (k: Keywords) => {
    setKeywords(k);
    setOptOut(asLines(k.opt_out));
    setOptIn(asLines(k.opt_in));
  };
  useEffect(() => {
    get<Keywords>("/v1/keywords").then(show, setProblem);
    get<{ items: Group[] }>("/v1/groups").then(
      (a) => setGroups(a.items.filter((g) => g.type === "manual")),
      () => undefined,
    );
  }, []);
  if (!keywords) return <Problem error={problem} />;

  const save = async (event: Event) => {
    event.preventDefault();
    try {
      show(
        await api<Keywords>("PUT", "/v1/keywords", {
          body: { ...keywords, opt_out: fromLines(optOut), opt_in: fromLines(optIn) },
        }),
      );
      setNotice("Keywords saved");
      setProblem(null);
    } catch (error) {
      setProblem(error);
    }
  };
  const hint = "One language per line: its code, a colon, the words (* for every language), e.g. swa: ACHA, SITISHA";
  return (
    <section>
      <p>
        <Link href="/flows">Back to flows</Link>
      </p>
      <Title>Keywords</Title>
      {notice ? <Notice>{notice}</Notice> : null}
      <Problem error={problem} />
      <form onSubmit={save} class="stack">
        <Field id="opt-out-words" label="Opt-out words (the whole message, any case)" hint={hint}>
          {(d) => (
            <textarea
              id="opt-out-words"
              value={optOut}
              aria-describedby={d}
              onInput={(e) => setOptOut(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field id="opt-out-reply" label="Confirmation sent after opting out">
          {(d) => (
            <textarea
              id="opt-out-reply"
              maxLength={1024}
              value={keywords.opt_out_reply ?? ""}
              aria-describedby={d}
              onInput={(e) => setKeywords({ ...keywords, opt_out_reply: e.currentTarget.value || null })}
            />
          )}
        </Field>
        <Field id="opt-in-words" label="Opt-in words" hint={hint}>
          {(d) => (
            <textarea
              id="opt-in-words"
              value={optIn}
              aria-describedby={d}
              onInput={(e) => setOptIn(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field id="opt-in-reply" label="Welcome sent after opting in">
          {(d) => (
            <textarea
              id="opt-in-reply"
              maxLength={1024}
              value={keywords.opt_in_reply ?? ""}
              aria-describedby={d}
              onInput={(e) => setKeywords({ ...keywords, opt_in_reply: e.currentTarget.value || null })}
            />
          )}
        </Field>
        <Field id="opt-in-group" label="Contacts who opt in join">
          {(d) => (
            <select
              id="opt-in-group"
              value={keywords.opt_in_group_id ?? ""}
              aria-describedby={d}
              onChange={(e) => setKeywords({ ...keywords, opt_in_group_id: e.currentTarget.value || null })}
            >
              <option value="">No collection</option>
              {groups.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div class="field check">
          <input
            id="reactivate"
            type="checkbox"
            checked={keywords.reactivate_on_any_message}
            onChange={(e) => setKeywords({ ...keywords, reactivate_on_any_message: e.currentTarget.checked })}
          />
          <label for="reactivate">Any message from a contact who opted out opts them in again</label>
        </div>
        <button type="submit">Save keywords</button>
      </form>
    </section>
  );
}
