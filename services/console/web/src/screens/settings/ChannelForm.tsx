// A channel's form: its type (chosen once), name, rate, the least time between two messages to
// one person, opt-in, and its type's settings and secrets. Secrets are write-only: the boxes
// start empty, and one left empty when editing keeps the secret the channel has.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, get } from "../../api";
import { Field, Link, Problem, Title } from "../../components";
import { navigate } from "../../router";
import { CHANNEL_KINDS, kindOf, rate, type Setting } from "./channelTypes";
import { type FieldErrors, fieldErrors, placed, useFocusInvalid } from "./errors";
import type { Channel, ChannelType } from "./types";

const FIELDS = ["type", "name", "tps", "pair_interval_s", "requires_opt_in", "config", "secrets"];

/** Where the provider sends what it has to tell (on this origin; the console routes it). */
function Addresses(props: { channel: Channel }) {
  const base = `${window.location.origin}/v1/channels/${encodeURIComponent(props.channel.id)}`;
  const rows =
    props.channel.type === "whatsapp_cloud"
      ? [["Webhook (Meta)", `${base}/webhook`]]
      : props.channel.type === "http"
        ? [
            ["Status reports", `${base}/status`],
            ["Incoming messages", `${base}/inbound`],
          ]
        : [];
  if (!rows.length) return null;
  return (
    <section aria-labelledby="channel-addresses">
      <h2 id="channel-addresses">Addresses to give your provider</h2>
      <dl class="settings-facts">
        {rows.map(([label, url]) => [
          <dt key={`${label}-t`}>{label}</dt>,
          <dd key={`${label}-d`}>
            <code>{url}</code>
          </dd>,
        ])}
      </dl>
    </section>
  );
}

function SettingField(props: {
  id: string;
  setting: Setting;
  value: string;
  error: string | undefined;
  secret?: { isSet: boolean; editing: boolean };
  onInput: (value: string) => void;
}) {
  const { setting, secret } = props;
  const keep = secret?.editing ? (secret.isSet ? " It is set: leave empty to keep it." : " Not set yet.") : "";
  return (
    <Field
      id={props.id}
      label={`${setting.label}${setting.required || secret ? "" : " (optional)"}`}
      error={props.error}
      hint={`${setting.hint ?? ""}${keep}`.trim() || undefined}
    >
      {(d) => {
        const common = {
          id: props.id,
          spellcheck: false,
          maxLength: 2048,
          value: props.value,
          "aria-describedby": d,
          "aria-invalid": props.error ? true : undefined,
          onInput: (e: Event) => props.onInput((e.currentTarget as HTMLInputElement).value),
        };
        if (secret) return <input type="password" autoComplete="new-password" {...common} />;
        if (setting.url) return <input type="url" autoComplete="off" {...common} />;
        return <input type="text" autoComplete="off" {...common} />;
      }}
    </Field>
  );
}

export function ChannelForm(props: { id?: string }) {
  const [channel, setChannel] = useState<Channel | null>(null);
  const [type, setType] = useState<ChannelType>("http");
  const [name, setName] = useState("");
  const [tps, setTps] = useState("");
  const [pair, setPair] = useState("");
  const [optIn, setOptIn] = useState(false);
  const [config, setConfig] = useState<Record<string, string>>({});
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<FieldErrors>({});
  const [problem, setProblem] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const refused = useFocusInvalid(formRef);
  const kind = kindOf(type) ?? (CHANNEL_KINDS[0] as (typeof CHANNEL_KINDS)[number]);

  useEffect(() => {
    if (!props.id) return;
    get<Channel>(`/v1/channels/${encodeURIComponent(props.id)}`).then((c) => {
      setChannel(c);
      setType(c.type);
      setName(c.name);
      setTps(c.tps === null ? "" : String(c.tps));
      setPair(String(c.pair_interval_s));
      setOptIn(c.requires_opt_in);
      setConfig({ ...c.config });
    }, setProblem);
  }, [props.id]);
  useEffect(() => {
    if (!props.id) setOptIn(kindOf(type)?.optIn ?? false);
  }, [type]);

  const number = (text: string) => (text.trim() === "" ? null : Number(text));
  const save = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    setErrors({});
    const body: Record<string, unknown> = { name: name.trim(), requires_opt_in: optIn };
    const given = Object.fromEntries(
      kind.config.map((s) => [s.key, (config[s.key] ?? "").trim()] as const).filter(([, v]) => v),
    );
    const newSecrets = Object.fromEntries(
      kind.secrets.map((s) => [s.key, secrets[s.key] ?? ""] as const).filter(([, v]) => v),
    );
    if (kind.config.length || !channel) body.config = given;
    if (Object.keys(newSecrets).length || !channel) body.secrets = newSecrets;
    // An empty rate: the type's default when creating; unlimited (where allowed) when editing.
    if (tps.trim() || channel) body.tps = number(tps);
    if (pair.trim()) body.pair_interval_s = number(pair);
    setBusy(true);
    try {
      const saved = channel
        ? await api<Channel>("PATCH", `/v1/channels/${encodeURIComponent(channel.id)}`, {
            body: { ...body, version: channel.version },
          })
        : await api<Channel>("POST", "/v1/channels", { body: { ...body, type } });
      setSecrets({});
      navigate(`/settings/channels?saved=${encodeURIComponent(saved.name)}`);
    } catch (error) {
      const found = fieldErrors(error);
      if (placed(found, FIELDS)) {
        setErrors(found);
        refused();
      } else setProblem(error);
      setBusy(false);
    }
  };

  if (props.id && !channel) {
    return (
      <section>
        <Title>Channel</Title>
        <p>
          <Link href="/settings/channels">Back to channels</Link>
        </p>
        <Problem error={problem} />
      </section>
    );
  }
  // A message about a whole object (missing keys, say) goes by the box of each key it names;
  // one that names no key, above the boxes.
  const settingError = (group: "config" | "secrets", key: string) => errors[`${group}.${key}`];
  const groupError = (group: "config" | "secrets") =>
    errors[group] && !Object.keys(errors).some((k) => k.startsWith(`${group}.`)) ? errors[group] : null;
  return (
    <section>
      <p>
        <Link href="/settings/channels">Back to channels</Link>
      </p>
      <Title>{channel ? `Edit channel ${channel.name}` : "New channel"}</Title>
      <Problem error={problem} />
      <form ref={formRef} onSubmit={save} class="stack" noValidate>
        {channel ? (
          <p>
            Type: <strong>{kind.label}</strong>. {kind.about}
          </p>
        ) : (
          <Field id="channel-type" label="Type" error={errors.type} hint={kind.about}>
            {(d) => (
              <select
                id="channel-type"
                value={type}
                aria-describedby={d}
                aria-invalid={errors.type ? true : undefined}
                onChange={(e) => setType(e.currentTarget.value as ChannelType)}
              >
                {CHANNEL_KINDS.map((k) => (
                  <option key={k.type} value={k.type}>
                    {k.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        <Field id="channel-name" label="Name" error={errors.name}>
          {(d) => (
            <input
              id="channel-name"
              required
              maxLength={64}
              value={name}
              aria-describedby={d}
              aria-invalid={errors.name ? true : undefined}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          )}
        </Field>
        <div class="settings-pair">
          <Field
            id="channel-tps"
            label="Messages per second"
            error={errors.tps}
            hint={`Empty: ${channel ? "unlimited (the log type only)" : `the type's default, ${rate(kind.tps)}`}.`}
          >
            {(d) => (
              <input
                id="channel-tps"
                type="number"
                inputMode="numeric"
                min={1}
                max={10000}
                step={1}
                value={tps}
                aria-describedby={d}
                aria-invalid={errors.tps ? true : undefined}
                onInput={(e) => setTps(e.currentTarget.value)}
              />
            )}
          </Field>
          <Field
            id="channel-pair"
            label="Seconds between two messages to one person"
            error={errors.pair_interval_s}
            hint={`Empty: ${channel ? "as it is" : `the type's default, ${kind.pairInterval} s`}.`}
          >
            {(d) => (
              <input
                id="channel-pair"
                type="number"
                inputMode="decimal"
                min={0}
                max={3600}
                step="any"
                value={pair}
                aria-describedby={d}
                aria-invalid={errors.pair_interval_s ? true : undefined}
                onInput={(e) => setPair(e.currentTarget.value)}
              />
            )}
          </Field>
        </div>
        <div class="field check">
          <input
            id="channel-opt-in"
            type="checkbox"
            checked={optIn}
            aria-invalid={errors.requires_opt_in ? true : undefined}
            onChange={(e) => setOptIn(e.currentTarget.checked)}
          />
          <label for="channel-opt-in">Send only to contacts who opted in</label>
        </div>
        {kind.config.length ? (
          <fieldset class={groupError("config") ? "has-error" : undefined}>
            <legend>Settings</legend>
            {groupError("config") ? <p class="error">{groupError("config")}</p> : null}
            {kind.config.map((s) => (
              <SettingField
                key={`${type}-${s.key}`}
                id={`channel-config-${s.key}`}
                setting={s}
                value={config[s.key] ?? ""}
                error={settingError("config", s.key)}
                onInput={(value) => setConfig({ ...config, [s.key]: value })}
              />
            ))}
          </fieldset>
        ) : null}
        {kind.secrets.length ? (
          <fieldset class={groupError("secrets") ? "has-error" : undefined}>
            <legend>Secrets</legend>
            <p class="hint">
              Write-only: Roster keeps them sealed and never shows them again
              {channel ? ", so these boxes start empty" : ""}.
            </p>
            {groupError("secrets") ? <p class="error">{groupError("secrets")}</p> : null}
            {kind.secrets.map((s) => (
              <SettingField
                key={`${type}-${s.key}`}
                id={`channel-secret-${s.key}`}
                setting={s}
                value={secrets[s.key] ?? ""}
                error={settingError("secrets", s.key)}
                secret={{ isSet: Boolean(channel && s.key in channel.secrets), editing: Boolean(channel) }}
                onInput={(value) => setSecrets({ ...secrets, [s.key]: value })}
              />
            ))}
          </fieldset>
        ) : null}
        <div class="actions">
          <Link class="button quiet" href="/settings/channels">
            Cancel
          </Link>
          <button type="submit" disabled={busy}>
            Save channel
          </button>
        </div>
      </form>
      {channel ? <Addresses channel={channel} /> : null}
    </section>
  );
}
