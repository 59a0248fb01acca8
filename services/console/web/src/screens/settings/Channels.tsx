// The organisation's channels (dispatcher): what each is, how fast it may send, whether its
// contacts must have opted in, which secrets it holds (never their values); deleting one asks
// first.
import { Confirm, Link, Notice, Problem, Title } from "../../components";
import { useDeletableList } from "../../hooks";
import type { Location } from "../../router";
import { kindOf, rate } from "./channelTypes";
import type { Channel } from "./types";

export function Channels(props: { location: Location }) {
  const {
    items: channels,
    problem,
    deleting,
    setDeleting,
    notice,
    remove,
  } = useDeletableList<Channel>({
    path: "/v1/channels",
    noun: "Channel",
    idOf: (entry) => entry.id,
    nameOf: (entry) => entry.name,
    saved: props.location.params.get("saved"),
  });

  return (
    <section>
      <div class="heading">
        <Title>Channels</Title>
        <Link class="button" href="/settings/channels/new">
          + New channel
        </Link>
      </div>
      <p class="hint">How your organisation reaches its contacts. Only admins add or change channels.</p>
      {notice ? <Notice>{notice}</Notice> : null}
      <Problem error={problem} />
      <div class="table-wrap">
        <table>
          <caption>Channels of your organisation</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Rate</th>
              <th scope="col">Opt-in</th>
              <th scope="col">Secrets</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(channels ?? []).map((c) => {
              const kind = kindOf(c.type);
              const secrets = Object.keys(c.secrets).map(
                (key) => kind?.secrets.find((s) => s.key === key)?.label ?? key,
              );
              return (
                <tr key={c.id}>
                  <td>
                    <Link href={`/settings/channels/${encodeURIComponent(c.id)}`}>{c.name}</Link>
                  </td>
                  <td>{kind?.label ?? c.type}</td>
                  <td>{rate(c.tps)}</td>
                  <td>{c.requires_opt_in ? "required" : "not required"}</td>
                  <td>{secrets.length ? `${secrets.join(", ")} set` : "none"}</td>
                  <td class="settings-row-actions">
                    <button type="button" class="danger" onClick={() => setDeleting(c)}>
                      Delete<span class="visually-hidden"> channel {c.name}</span>
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {channels && channels.length === 0 ? <p class="empty">No channels yet.</p> : null}
      </div>
      <Confirm
        open={deleting !== null}
        title={`Delete the channel ${deleting?.name ?? ""}?`}
        confirm="Delete channel"
        onConfirm={() => void remove()}
        onCancel={() => setDeleting(null)}
      >
        <p>Nothing more is sent through it, and its credentials are forgotten. This cannot be undone.</p>
      </Confirm>
    </section>
  );
}
