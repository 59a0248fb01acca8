// What a service shows once (an invitation token, an API client's secret): in read-only boxes
// that select themselves, with a copy button and a plain "copy it now" note. Leaving the page
// or pressing "Done" forgets it; the service keeps only its hash.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

export interface OneTimeValue {
  id: string;
  label: string;
  value: string;
}

async function copy(input: HTMLInputElement | null, value: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(value);
    return true;
  } catch {
    // no clipboard here (an insecure origin, or refused): leave it selected for the keyboard
    input?.focus();
    input?.select();
    return false;
  }
}

function CopyBox(props: OneTimeValue & { onCopied: (text: string) => void }) {
  const ref = useRef<HTMLInputElement>(null);
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <div class="settings-copy">
        <input
          ref={ref}
          id={props.id}
          class="settings-secret"
          readOnly
          value={props.value}
          spellcheck={false}
          autoComplete="off"
          onFocus={(e) => e.currentTarget.select()}
        />
        <button
          type="button"
          class="quiet"
          onClick={() =>
            void copy(ref.current, props.value).then((done) =>
              props.onCopied(done ? `${props.label} copied` : `${props.label} selected: press Ctrl+C (⌘C) to copy it`),
            )
          }
        >
          Copy<span class="visually-hidden"> {props.label}</span>
        </button>
      </div>
    </div>
  );
}

export function OneTime(props: {
  id: string;
  title: string;
  values: OneTimeValue[];
  children?: ComponentChildren;
  onDone: () => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  const [copied, setCopied] = useState("");
  useEffect(() => heading.current?.focus(), []);
  return (
    <section class="settings-once" aria-labelledby={`${props.id}-title`}>
      <h2 id={`${props.id}-title`} ref={heading} tabIndex={-1}>
        {props.title}
      </h2>
      <p>
        <strong>Copy it now:</strong> it is shown only this once. Roster keeps only a fingerprint of it, so nobody can
        show it again.
      </p>
      {props.values.map((v) => (
        <CopyBox key={v.id} {...v} onCopied={setCopied} />
      ))}
      {props.children}
      <p class="settings-copied" role="status">
        {copied}
      </p>
      <button type="button" onClick={props.onDone}>
        Done, I have copied it
      </button>
    </section>
  );
}
