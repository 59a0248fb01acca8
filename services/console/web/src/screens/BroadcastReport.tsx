// One broadcast: its state, counts by status, pause, resume, cancel, and the per-recipient report.
import { useEffect, useState } from "preact/hooks";
import { api, call, withQuery } from "../api";
import { Link, Problem, TableHead, Title, when } from "../components";
import { download } from "../download";
import { usePolled } from "../hooks";
import type { Broadcast, Recipient } from "./Broadcasts";

const REPORT_ROWS = 1000;

const FINAL = ["completed", "cancelled", "failed"];

export function BroadcastReport(props: { id: string }) {
  const path = `/v1/broadcasts/${encodeURIComponent(props.id)}`;
  const polled = usePolled<Broadcast>(path, (answer) => FINAL.includes(answer.state));
  const { value: broadcast, setValue: setBroadcast, problem, setProblem } = polled;
  const [recipients, setRecipients] = useState<Recipient[] | null>(null);
  const ended = broadcast ? FINAL.includes(broadcast.state) : false;

  useEffect(() => {
    if (!broadcast || broadcast.state === "scheduled" || broadcast.state === "resolving") return;
    let live = true;
    call("GET", withQuery(`${path}/recipients`, { format: "ndjson" }), { headers: { Accept: "application/x-ndjson" } })
      .then((response) => response.text())
      .then((body) => {
        if (!live) return;
        const lines = body.split("\n").filter(Boolean).slice(0, REPORT_ROWS);
        setRecipients(lines.map((line) => JSON.parse(line) as Recipient));
      }, setProblem);
    return () => {
      live = false;
    };
  }, [path, broadcast?.state, ended ? "ended" : JSON.stringify(broadcast?.counts ?? {})]);

  if (!broadcast) return <Problem error={problem} />;
  const act = (verb: "pause" | "resume" | "cancel") =>
    void api<Broadcast>("POST", `${path}/${verb}`).then(setBroadcast, setProblem);
  const counts = Object.entries(broadcast.counts).filter(([, n]) => n > 0);
  return (
    <section>
      <p>
        <Link href="/broadcasts">Back to broadcasts</Link>
      </p>
      <Title>{broadcast.template?.name ? `Broadcast of ${broadcast.template.name}` : "Broadcast"}</Title>
      <p role="status" aria-live="polite" class="broadcast-state">
        {broadcast.state === "completed" ? "Completed" : broadcast.state[0]?.toUpperCase() + broadcast.state.slice(1)}
        {broadcast.failure ? `: ${broadcast.failure}` : ""}
      </p>
      <p>
        Audience {broadcast.audience}, of whom {broadcast.will_receive} receive it. Created {when(broadcast.created_at)}
        {broadcast.finished_at ? `, finished ${when(broadcast.finished_at)}` : ""}.
      </p>
      <dl class="attributes">
        {counts.map(([status, n]) => (
          <div key={status}>
            <dt>{status}</dt>
            <dd>{n}</dd>
          </div>
        ))}
      </dl>
      <Problem error={problem} />
      <div class="actions">
        {broadcast.state === "sending" ? (
          <button type="button" class="quiet" onClick={() => act("pause")}>
            Pause
          </button>
        ) : null}
        {broadcast.state === "paused" ? (
          <button type="button" onClick={() => act("resume")}>
            Resume
          </button>
        ) : null}
        {!ended ? (
          <button type="button" class="danger" onClick={() => act("cancel")}>
            Cancel
          </button>
        ) : null}
        <button
          type="button"
          class="quiet"
          onClick={() =>
            void download(`${path}/recipients?format=csv`, `broadcast-${broadcast.id}.csv`).catch(setProblem)
          }
        >
          Download the report (CSV)
        </button>
      </div>
      {recipients ? (
        <div class="table-wrap">
          <table>
            <caption>
              Recipients{recipients.length === REPORT_ROWS ? ` (the first ${REPORT_ROWS}: the CSV has them all)` : ""}
            </caption>
            <TableHead columns={["Contact", "Phone", "Status", "Reason", "Updated"]} />
            <tbody>
              {recipients.map((r) => (
                <tr key={r.contact_id}>
                  <td>
                    <Link href={`/contacts/${encodeURIComponent(r.contact_id)}`}>{r.contact_id}</Link>
                  </td>
                  <td>{r.phone}</td>
                  <td>{r.status}</td>
                  <td>{r.reason}</td>
                  <td>{when(r.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p class="empty">The report fills in once the audience is known.</p>
      )}
    </section>
  );
}
