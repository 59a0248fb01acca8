// The organisation's message templates (dispatcher): each one's languages and parameters;
// deleting one asks first (broadcasts already made keep their copy).
import { Confirm, Link, Notice, Problem, Title, when } from "../../components";
import { useDeletableList } from "../../hooks";
import type { Location } from "../../router";
import { languageName } from "./places";
import type { Template } from "./types";

export function Templates(props: { location: Location }) {
  const {
    items: templates,
    problem,
    deleting,
    setDeleting,
    notice,
    remove,
  } = useDeletableList<Template>({
    path: "/v1/templates",
    noun: "Template",
    idOf: (entry) => entry.id,
    nameOf: (entry) => entry.name,
    saved: props.location.params.get("saved"),
  });

  return (
    <section>
      <div class="heading">
        <Title>Templates</Title>
        <Link class="button" href="/settings/templates/new">
          + New template
        </Link>
      </div>
      <p class="hint">Messages approved once and said to each contact in their language, with their own values.</p>
      {notice ? <Notice>{notice}</Notice> : null}
      <Problem error={problem} />
      <div class="table-wrap">
        <table>
          <caption>Message templates</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Category</th>
              <th scope="col">Languages</th>
              <th scope="col">Parameters</th>
              <th scope="col">Changed</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(templates ?? []).map((t) => (
              <tr key={t.id}>
                <td>
                  <Link href={`/settings/templates/${encodeURIComponent(t.id)}`}>{t.name}</Link>
                </td>
                <td>{t.category}</td>
                <td>
                  {Object.keys(t.variants)
                    .map((code) => `${languageName(code)} (${code})`)
                    .join(", ")}
                </td>
                <td>
                  {Object.keys(t.parameters)
                    .map((p) => `{{${p}}}`)
                    .join(" ") || "none"}
                </td>
                <td>{when(t.updated_at)}</td>
                <td class="settings-row-actions">
                  <button type="button" class="danger" onClick={() => setDeleting(t)}>
                    Delete<span class="visually-hidden"> template {t.name}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {templates && templates.length === 0 ? <p class="empty">No templates yet.</p> : null}
      </div>
      <Confirm
        open={deleting !== null}
        title={`Delete the template ${deleting?.name ?? ""}?`}
        confirm="Delete template"
        onConfirm={() => void remove()}
        onCancel={() => setDeleting(null)}
      >
        <p>Broadcasts already made with it keep their copy; no new one can use it. This cannot be undone.</p>
      </Confirm>
    </section>
  );
}
