// Flows: the list, importing a RapidPro/TextIt export (with the report of what cannot run
// here), a flow's page (start it for collections, with the preview of who starts; its runs and
// results), and the opt-out and opt-in keywords with their replies.
import { useEffect, useState } from "preact/hooks";
import { api, get, withQuery } from "../api";
import { ChannelSelect, useChannelChoice } from "../channels";
import { Field, GroupChecklist, Link, Notice, Problem, TableHead, Title, when } from "../components";
import { download } from "../download";
import { useChosen } from "../hooks";
import type { Group, Page } from "../model";
import type { Location } from "../router";

interface Flow {
  id: string;
  name: string;
  version: number;
  expire_after_minutes: number;
  nodes: number;
  updated_at: string;
}

interface Refused {
  name: string;
  code: string;
  message: string;
  problems: { code?: string; message?: string; node?: string; action?: string }[];
}

interface Run {
  id: string;
  contact_id: string;
  status: string;
  node: string | null;
  results: Record<string, { value?: string; category?: string }>;
  started_at: string;
  ended_at: string | null;
}

interface StartView {
  started: number;
  interrupted: number;
  skipped: Record<string, number>;
}

export function Flows(props: { location: Location }) {
  const group = props.location.params.get("group") ?? "";
  const [flows, setFlows] = useState<Page<Flow> | null>(null);
  const [report, setReport] = useState<{ created: Flow[]; refused: Refused[] } | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    get<Page<Flow>>("/v1/flows?limit=100").then(setFlows, setProblem);
  }, [reload]);

  const importExport = async (file: File | undefined) => {
    if (!file) return;
    setProblem(null);
    try {
      const exported: unknown = JSON.parse(await file.text());
      setReport(await api("POST", "/v1/flows/import", { body: exported }));
      setReload((n) => n + 1);
    } catch (error) {
      setProblem(error instanceof SyntaxError ? new Error("The file is not a JSON export") : error);
    }
  };

  return (
    <section>
      <div class="heading">
        <Title>Flows</Title>
        <Link class="button quiet" href="/flows/keywords">
          Keywords
        </Link>
      </div>
      {group ? <Notice>Choose the flow to start for the collection.</Notice> : null}
      <Problem error={problem} />
      <Field id="flow-export" label="Import a RapidPro or TextIt export (.json)">
        {(d) => (
          <input
            id="flow-export"
            type="file"
            accept=".json,application/json"
            aria-describedby={d}
            onChange={(e) => void importExport(e.currentTarget.files?.[0])}
          />
        )}
      </Field>
      {report ? (
        <div role="status" class="import-report">
          <p>
            {report.created.length} flow{report.created.length === 1 ? "" : "s"} imported
            {report.refused.length ? `, ${report.refused.length} refused` : ""}.
          </p>
          {report.refused.map((r) => (
            <div key={r.name}>
              <p>
                <strong>{r.name}</strong>: {r.message}
              </p>
              <ul>
                {r.problems.map((p, i) => (
                  <li key={`${r.name}-${i}`}>
                    {p.message ?? p.code}
                    {p.action ? ` (action ${p.action})` : ""}
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </div>
      ) : null}
      <div class="table-wrap">
        <table>
          <caption>Flows of your organisation</caption>
          <TableHead columns={["Name", "Steps", "Runs expire after", "Updated"]} />
          <tbody>
            {(flows?.items ?? []).map((f) => (
              <tr key={f.id}>
                <td>
                  <Link href={withQuery(`/flows/${encodeURIComponent(f.id)}`, { group })}>{f.name}</Link>
                </td>
                <td>{f.nodes}</td>
                <td>{f.expire_after_minutes} min</td>
                <td>{when(f.updated_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {flows && flows.items.length === 0 ? <p class="empty">No flows yet: import one.</p> : null}
      </div>
    </section>
  );
}

export function FlowPage(props: { id: string; location: Location }) {
  const [flow, setFlow] = useState<Flow | null>(null);
  const [groups, setGroups] = useState<Group[]>([]);
  const { channel, setChannel, channels } = useChannelChoice();
  const { chosen, toggle } = useChosen(props.location.params.getAll("group"));
  const [skipBusy, setSkipBusy] = useState(true);
  const [preview, setPreview] = useState<StartView | null>(null);
  const [started, setStarted] = useState<StartView | null>(null);
  const [runs, setRuns] = useState<Page<Run> | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const path = `/v1/flows/${encodeURIComponent(props.id)}`;

  useEffect(() => {
    get<Flow>(path).then(setFlow, setProblem);
    get<{ items: Group[] }>("/v1/groups").then(
      (a) => setGroups(a.items),
      () => undefined,
    );
  }, [path]);
  useEffect(() => {
    get<Page<Run>>(`${path}/runs?limit=50`).then(setRuns, () => undefined);
  }, [path, started]);

  const body = { channel_id: channel, groups: [...chosen], contact_ids: [], exclude_in_a_flow: skipBusy };
  const key = JSON.stringify(body);
  useEffect(() => {
    setPreview(null);
    if (!channel || chosen.size === 0) return;
    let live = true;
    api<StartView>("POST", `${path}/start/preview`, { body }).then(
      (answer) => live && setPreview(answer),
      (error) => live && setProblem(error),
    );
    return () => {
      live = false;
    };
  }, [key]);

  if (!flow) return <Problem error={problem} />;
  const start = async () => {
    try {
      setStarted(await api<StartView>("POST", `${path}/start`, { body }));
    } catch (error) {
      setProblem(error);
    }
  };
  return (
    <section>
      <p>
        <Link href="/flows">Back to flows</Link>
      </p>
      <Title>{flow.name}</Title>
      <p>
        {flow.nodes} steps; a run waiting for an answer expires after {flow.expire_after_minutes} minutes.
      </p>
      <Problem error={problem} />
      <h2>Start it</h2>
      <GroupChecklist
        legend="For the members of"
        idPrefix="start"
        groups={groups}
        chosen={chosen}
        toggle={toggle}
        counts
      />
      <ChannelSelect id="flow-channel" channels={channels} value={channel} onChange={setChannel} />
      <div class="field check">
        <input
          id="skip-busy"
          type="checkbox"
          checked={skipBusy}
          onChange={(e) => setSkipBusy(e.currentTarget.checked)}
        />
        <label for="skip-busy">Leave out contacts already in a flow (otherwise their run is interrupted)</label>
      </div>
      {preview ? (
        <div role="status" class="summary">
          <p>
            <strong>{preview.started}</strong> contacts will start
            {preview.interrupted ? `; ${preview.interrupted} runs will be interrupted` : ""}.
          </p>
          <ul>
            {Object.entries(preview.skipped)
              .filter(([, n]) => n > 0)
              .map(([reason, n]) => (
                <li key={reason}>
                  {n} left out: {reason.replace(/_/g, " ")}
                </li>
              ))}
          </ul>
        </div>
      ) : null}
      <button type="button" disabled={!preview || preview.started === 0} onClick={() => void start()}>
        Start the flow
      </button>
      {started ? <Notice>{started.started} started.</Notice> : null}
      <div class="heading">
        <h2>Runs</h2>
        <button
          type="button"
          class="quiet"
          onClick={() => void download(`${path}/results.csv`, `${flow.name}.csv`).catch(setProblem)}
        >
          Download the results (CSV)
        </button>
      </div>
      <div class="table-wrap">
        <table>
          <caption>Latest runs</caption>
          <TableHead columns={["Contact", "Status", "Results", "Started"]} />
          <tbody>
            {(runs?.items ?? []).map((r) => (
              <tr key={r.id}>
                <td>
                  <Link href={`/contacts/${encodeURIComponent(r.contact_id)}`}>{r.contact_id}</Link>
                </td>
                <td>{r.status}</td>
                <td>
                  {Object.entries(r.results)
                    .map(([name, v]) => `${name}: ${v.category ?? v.value ?? ""}`)
                    .join(", ")}
                </td>
                <td>{when(r.started_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {runs && runs.items.length === 0 ? <p class="empty">No runs yet.</p> : null}
      </div>
    </section>
  );
}
