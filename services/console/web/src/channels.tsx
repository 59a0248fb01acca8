// Choosing the channel a message or a flow goes out on: the organisation's channels, the only
// one chosen already when there is just one.
import { useEffect, useState } from "preact/hooks";
import { get } from "./api";

interface Channel {
  id: string;
  name: string;
  type: string;
}

/** The chosen channel's id ("" until chosen), and a list to choose it from. */
export function useChannelChoice() {
  const [channels, setChannels] = useState<Channel[]>([]);
  const [channel, setChannel] = useState("");
  useEffect(() => {
    get<{ items: Channel[] }>("/v1/channels").then(
      (answer) => {
        setChannels(answer.items);
        if (answer.items.length === 1 && answer.items[0]) setChannel(answer.items[0].id);
      },
      () => undefined,
    );
  }, []);
  return { channel, setChannel, channels };
}

export function ChannelSelect(props: {
  id: string;
  channels: Channel[];
  value: string;
  onChange: (id: string) => void;
}) {
  return (
    <div class="field">
      <label for={props.id}>Channel</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="">Choose…</option>
        {props.channels.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name} ({c.type})
          </option>
        ))}
      </select>
    </div>
  );
}
