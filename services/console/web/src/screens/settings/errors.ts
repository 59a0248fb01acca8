// A refusal put where it belongs: the services name the field a rule is about
// (`details.field`, with `details.key` or `details.keys` inside an object), and a request that
// does not fit the schema lists its problems with their location in the body.
import type { RefObject } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../../api";

export type FieldErrors = Record<string, string>;

/** The refused fields, each with its message (`config.url` for a key inside an object). */
export function fieldErrors(error: unknown, aliases: Record<string, string> = {}): FieldErrors {
  const found: FieldErrors = {};
  if (!(error instanceof ApiError)) return found;
  const name = (field: string) => aliases[field] ?? field;
  const field = error.details.field;
  if (typeof field === "string") {
    const key = error.details.key;
    const keys = error.details.keys;
    if (typeof key === "string") found[`${name(field)}.${key}`] = error.message;
    else if (Array.isArray(keys) && keys.length) {
      for (const k of keys) found[`${name(field)}.${String(k)}`] = error.message;
    }
    found[name(field)] = error.message;
  }
  const problems = error.details.problems;
  if (Array.isArray(problems)) {
    for (const problem of problems as { location?: unknown[]; message?: string }[]) {
      const [where, first, second] = problem.location ?? [];
      if (where !== "body" || typeof first !== "string") continue;
      const message = problem.message ?? error.message;
      found[name(first)] ??= message;
      if (typeof second === "string") found[`${name(first)}.${second}`] ??= message;
    }
  }
  return found;
}

/** Whether any of `fields` is among the errors: else the refusal is shown as a whole. */
export function placed(errors: FieldErrors, fields: readonly string[]): boolean {
  return Object.keys(errors).some((key) => fields.includes(key) || fields.includes(key.split(".")[0] ?? ""));
}

/** A function to call when a save was refused: once the errors are shown, focus moves to the
 * first field marked invalid in `container`, so its message is read out with it. */
export function useFocusInvalid(container: RefObject<HTMLElement | null>): () => void {
  const [refused, setRefused] = useState(0);
  useEffect(() => {
    if (refused) container.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [refused]);
  return () => setRefused((n) => n + 1);
}
