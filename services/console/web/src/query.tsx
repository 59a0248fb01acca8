// The query language as people type it: each pause sends the text to the contacts service's
// parser, and an error is shown where it is (the position the parser names), before any search
// runs with it.
import { useEffect, useState } from "preact/hooks";
import { ApiError, api } from "./api";
import type { ParsedQuery } from "./model";

export interface QueryCheck {
  checked: string; // the text this result is about
  parsed: ParsedQuery | null;
  error: { message: string; position: number | null } | null;
}

export function useQueryCheck(text: string, delay = 300): QueryCheck | null {
  const [result, setResult] = useState<QueryCheck | null>(null);
  useEffect(() => {
    const query = text.trim();
    if (!query) {
      setResult({ checked: "", parsed: null, error: null });
      return;
    }
    let live = true;
    const timer = setTimeout(async () => {
      try {
        const parsed = await api<ParsedQuery>("POST", "/v1/contacts/query/parse", { body: { query } });
        if (live) setResult({ checked: text, parsed, error: null });
      } catch (error) {
        if (!live) return;
        if (error instanceof ApiError && error.status < 500) {
          const at = error.details.position;
          setResult({
            checked: text,
            parsed: null,
            error: {
              message: error.message,
              position: typeof at === "number" ? at : null,
            },
          });
        } else {
          setResult({
            checked: text,
            parsed: null,
            error: {
              message: "The query could not be checked",
              position: null,
            },
          });
        }
      }
    }, delay);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [text, delay]);
  return result;
}

/** The error under the box: the message, and the query with a mark where it went wrong. */
export function QueryError(props: { id: string; text: string; check: QueryCheck | null }) {
  const error = props.check?.error;
  if (!error) return null;
  const query = props.text.trim();
  const offset = props.text.indexOf(query);
  const at = error.position === null ? null : Math.min(error.position + Math.max(offset, 0), props.text.length);
  return (
    <div id={props.id} class="query-error" role="alert">
      <span>
        {error.message}
        {at !== null ? ` (at character ${at + 1})` : ""}
      </span>
      {at !== null ? (
        <code class="query-at" aria-hidden="true">
          {props.text.slice(0, at)}
          <mark>{props.text.slice(at, at + 1) || " "}</mark>
          {props.text.slice(at + 1)}
        </code>
      ) : null}
    </div>
  );
}
