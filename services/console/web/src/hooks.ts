// State every list and progress page needs: a record polled until it ends, pages walked by
// cursor, a set of chosen ids, and a list whose entries can be deleted (with its notice).
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, get } from "./api";

/** `path` read every `every` ms until `ended` says so (an import, a broadcast). A failure the
 * service may get over (5xx, no answer) is shown and retried, less often each time. */
export function usePolled<T>(path: string, ended: (value: T) => boolean, every = 1000) {
  const [value, setValue] = useState<T | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let wait = every;
    const poll = async () => {
      try {
        const answer = await get<T>(path);
        if (!live) return;
        setValue(answer);
        setProblem(null);
        wait = every;
        if (!ended(answer)) timer = setTimeout(() => void poll(), every);
      } catch (error) {
        if (!live) return;
        setProblem(error);
        if (error instanceof ApiError && error.status < 500) return; // it will not get better
        wait = Math.min(wait * 2, 30_000);
        timer = setTimeout(() => void poll(), wait);
      }
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [path]);
  return { value, setValue, problem, setProblem };
}

/** Pages walked by the cursors the services answer: forward by the next one, back by a stack. */
export function useCursorPages() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return {
    cursor: cursors[cursors.length - 1] ?? null,
    number: cursors.length,
    back: cursors.length > 1 ? () => setCursors(cursors.slice(0, -1)) : null,
    forward: (next: string | null | undefined) => (next ? () => setCursors([...cursors, next]) : null),
    reset: () => setCursors([null]),
  };
}

/** A set of chosen ids, and a toggle for one. */
export function useChosen(initial: Iterable<string> = []) {
  const [chosen, setChosen] = useState<Set<string>>(() => new Set(initial));
  const toggle = (id: string) => {
    const next = new Set(chosen);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setChosen(next);
  };
  return { chosen, toggle, setChosen };
}

/** A list read from `path` (its `items`) whose entries can be deleted after a confirmation. */
export function useDeletableList<T>(options: {
  path: string;
  noun: string;
  idOf: (entry: T) => string;
  nameOf: (entry: T) => string;
  saved?: string | null;
}) {
  const [items, setItems] = useState<T[] | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const [deleting, setDeleting] = useState<T | null>(null);
  const [notice, setNotice] = useState<string | null>(
    options.saved ? `${options.noun} “${options.saved}” saved.` : null,
  );
  const [reload, setReload] = useState(0);

  useEffect(() => {
    get<{ items: T[] }>(options.path).then((answer) => setItems(answer.items), setProblem);
  }, [reload]);

  const remove = async () => {
    const entry = deleting;
    setDeleting(null);
    if (!entry) return;
    setProblem(null);
    try {
      await api("DELETE", `${options.path}/${encodeURIComponent(options.idOf(entry))}`);
      setNotice(`${options.noun} “${options.nameOf(entry)}” deleted.`);
      setReload((n) => n + 1);
    } catch (error) {
      setNotice(null);
      setProblem(error);
    }
  };
  return { items, problem, setProblem, deleting, setDeleting, notice, setNotice, remove };
}
