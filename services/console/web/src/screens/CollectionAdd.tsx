// Adding contacts to a manual collection from its own page: every contact matching a query (the
// query language, checked as it is typed). The groups service makes the change in the
// background; the page follows it until it is done.
import { useState } from "preact/hooks";
import { api, get } from "../api";
import { Problem } from "../components";
import { QueryError, useQueryCheck } from "../query";

interface MemberChange {
  id: string;
  status: string;
  matched: number;
  changed: number;
}

const FOLLOW_EVERY_MS = 700;

export function AddByQuery(props: { groupId: string; onChanged: (message: string) => void }) {
  const [query, setQuery] = useState("");
  const check = useQueryCheck(query);
  const [problem, setProblem] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const path = `/v1/groups/${encodeURIComponent(props.groupId)}`;
  const ready = Boolean(query.trim()) && check?.checked === query && !check.error;

  const add = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      let change = await api<MemberChange>("POST", `${path}/members`, { body: { query: query.trim() } });
      while (change.status !== "completed" && change.status !== "failed") {
        await new Promise((done) => setTimeout(done, FOLLOW_EVERY_MS));
        change = await get<MemberChange>(`${path}/member-changes/${encodeURIComponent(change.id)}`);
      }
      props.onChanged(
        change.status === "completed"
          ? `${change.changed} of the ${change.matched} contacts matching were added`
          : "Adding the contacts failed",
      );
      setQuery("");
    } catch (error) {
      setProblem(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="inline-form" onSubmit={add} aria-label="Add contacts">
      <div class="field grow">
        <label for="add-by-query">Add the contacts matching</label>
        <input
          id="add-by-query"
          value={query}
          placeholder='district = "Kano"'
          aria-invalid={check?.error ? true : undefined}
          aria-describedby={check?.error ? "add-by-query-error" : undefined}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
        <QueryError id="add-by-query-error" text={query} check={check} />
      </div>
      <button type="submit" disabled={!ready || busy}>
        Add to collection
      </button>
      <Problem error={problem} />
    </form>
  );
}
