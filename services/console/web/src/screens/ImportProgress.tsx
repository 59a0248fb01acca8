// One import as it runs: its progress, counters, summary, cancel, and its error report.
import { useMemo } from "preact/hooks";
import { api } from "../api";
import { Link, Notice, Problem, Title, when } from "../components";
import { download } from "../download";
import { usePolled } from "../hooks";
import { ENDED, type ImportJob } from "./Imports";

export function ImportProgress(props: { id: string }) {
  const path = `/v1/imports/${encodeURIComponent(props.id)}`;
  const polled = usePolled<ImportJob>(path, (answer) => ENDED.includes(answer.status));
  const { value: job, setValue: setJob, problem, setProblem } = polled;
  const ended = job ? ENDED.includes(job.status) : false;

  const done = useMemo(() => {
    if (!job) return 0;
    const total = job.total_rows || 0;
    return total ? Math.min(100, Math.round((job.counters.rows_read / total) * 100)) : ended ? 100 : 0;
  }, [job, ended]);

  if (!job) return <Problem error={problem} />;
  const c = job.counters;
  const unreported = c.failed + c.skipped;
  return (
    <section>
      <p>
        <Link href="/imports">Back to imports</Link>
      </p>
      <Title>{`Import of ${job.file_name}`}</Title>
      <p role="status" aria-live="polite" class={`import-status import-${job.status}`}>
        {job.status === "completed"
          ? "Completed"
          : job.status === "failed"
            ? "Failed"
            : job.status === "cancelled"
              ? "Cancelled"
              : `In progress (${job.status})`}
        {job.error ? `: ${job.error}` : ""}
      </p>
      <label for="import-progress">Rows read</label>
      <progress id="import-progress" max={100} value={done}>
        {done}%
      </progress>
      <span>
        {" "}
        {c.rows_read} of {job.total_rows || "?"} rows
      </span>
      <dl class="attributes">
        {(
          [
            ["Created", c.created],
            ["Updated", c.updated],
            ["Unchanged", c.unchanged],
            ["Skipped", c.skipped],
            ["Failed", c.failed],
          ] as const
        ).map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <Problem error={problem} />
      <div class="actions">
        {!ended ? (
          <button
            type="button"
            class="danger"
            onClick={() => void api<ImportJob>("POST", `${path}/cancel`).then(setJob, setProblem)}
          >
            Cancel import
          </button>
        ) : null}
        {ended && unreported > 0 && !job.report_deleted_at ? (
          <button
            type="button"
            onClick={() => void download(`${path}/errors`, `${job.file_name}.errors.csv`).catch(setProblem)}
          >
            Download the error report ({unreported} rows)
          </button>
        ) : null}
        {job.report_deleted_at ? <Notice>The error report was deleted on {when(job.report_deleted_at)}.</Notice> : null}
      </div>
    </section>
  );
}
