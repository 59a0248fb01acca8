// Pieces every screen is built from: links that route in the page, the frame with its
// navigation, tabs, paging, messages and a confirmation dialog. Each one is keyboard usable and
// labelled for assistive technology.
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { ApiError, type Session, signOut } from "./api";
import { navigate } from "./router";

export function Link(props: { href: string; children: ComponentChildren; class?: string; current?: boolean }) {
  const onClick = (event: MouseEvent) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(props.href);
  };
  return (
    <a href={props.href} class={props.class} onClick={onClick} aria-current={props.current ? "page" : undefined}>
      {props.children}
    </a>
  );
}

const SECTIONS: { href: string; label: string; roles?: Session["role"][] }[] = [
  { href: "/contacts", label: "Contacts" },
  { href: "/collections", label: "Collections" },
  { href: "/imports", label: "Imports", roles: ["admin", "manager"] },
  { href: "/fields", label: "Fields", roles: ["admin", "manager"] },
  { href: "/broadcasts", label: "Send", roles: ["admin", "manager"] },
  { href: "/flows", label: "Flows", roles: ["admin", "manager"] },
  { href: "/settings", label: "Settings", roles: ["admin", "manager"] },
];

/** To the sign-in page first, so that the next person to sign in here is not sent back to the
 * page the last one was on. */
function signOutHere() {
  navigate("/sign-in", true);
  void signOut();
}

export function Frame(props: { session: Session; path: string; children: ComponentChildren }) {
  const sections = SECTIONS.filter((s) => !s.roles || s.roles.includes(props.session.role));
  return (
    <div class="frame">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Roster</span>
        <nav aria-label="Sections">
          <ul>
            {sections.map((s) => (
              <li key={s.href}>
                <Link href={s.href} current={props.path.startsWith(s.href)}>
                  {s.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">
          {props.session.organization} · {props.session.role}
        </span>
        <button type="button" class="quiet" onClick={signOutHere}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </div>
  );
}

export function Tabs<T extends string>(props: {
  label: string;
  tabs: { id: T; label: string; count?: number | null }[];
  selected: T;
  onSelect: (id: T) => void;
}) {
  const onKey = (event: KeyboardEvent, index: number) => {
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    const next = props.tabs[(index + step + props.tabs.length) % props.tabs.length];
    if (next) {
      props.onSelect(next.id);
      document.getElementById(`tab-${next.id}`)?.focus();
    }
  };
  return (
    <div role="tablist" aria-label={props.label} class="tabs">
      {props.tabs.map((tab, index) => (
        <button
          type="button"
          role="tab"
          id={`tab-${tab.id}`}
          key={tab.id}
          aria-selected={tab.id === props.selected}
          tabIndex={tab.id === props.selected ? 0 : -1}
          onClick={() => props.onSelect(tab.id)}
          onKeyDown={(e) => onKey(e, index)}
        >
          {tab.label}
          {tab.count !== undefined && tab.count !== null ? <span class="count"> ({tab.count})</span> : null}
        </button>
      ))}
    </div>
  );
}

/** A failure as people read it: the service's message, and its code for support. */
export function Problem(props: { error: unknown }) {
  if (!props.error) return null;
  const error = props.error;
  const text =
    error instanceof ApiError
      ? `${error.message} (${error.code})`
      : error instanceof Error
        ? error.message
        : String(error);
  return (
    <p class="problem" role="alert">
      {text}
    </p>
  );
}

export function Notice(props: { children: ComponentChildren }) {
  return (
    <p class="notice" role="status">
      {props.children}
    </p>
  );
}

export function Confirm(props: {
  open: boolean;
  title: string;
  children: ComponentChildren;
  confirm: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onCancel={props.onCancel}>
      <h2 id="confirm-title">{props.title}</h2>
      <div>{props.children}</div>
      <div class="actions">
        <button type="button" class="quiet" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" class="danger" onClick={props.onConfirm}>
          {props.confirm}
        </button>
      </div>
    </dialog>
  );
}

export function Field(props: {
  id: string;
  label: string;
  error?: string | null;
  hint?: string;
  children: (describedBy: string | undefined) => JSX.Element;
}) {
  const describedBy = [props.error ? `${props.id}-error` : "", props.hint ? `${props.id}-hint` : ""]
    .filter(Boolean)
    .join(" ");
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children(describedBy || undefined)}
      {props.hint ? (
        <small id={`${props.id}-hint`} class="hint">
          {props.hint}
        </small>
      ) : null}
      {props.error ? (
        <small id={`${props.id}-error`} class="error">
          {props.error}
        </small>
      ) : null}
    </div>
  );
}

export function when(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export function Title(props: { children: ComponentChildren }) {
  useEffect(() => {
    document.title = `${typeof props.children === "string" ? props.children : "Roster"} · Roster`;
  }, [props.children]);
  return <h1>{props.children}</h1>;
}

/** Previous / page N / Next over the cursors of `useCursorPages`. */
export function Pager(props: {
  label: string;
  number: number;
  back: (() => void) | null;
  forward: (() => void) | null;
}) {
  return (
    <nav class="pager" aria-label={props.label}>
      <button type="button" disabled={!props.back} onClick={() => props.back?.()}>
        Previous
      </button>
      <span>Page {props.number}</span>
      <button type="button" disabled={!props.forward} onClick={() => props.forward?.()}>
        Next
      </button>
    </nav>
  );
}

/** A checkbox per collection (with its member count when `counts`), in a labelled fieldset. */
export function GroupChecklist(props: {
  legend: string;
  idPrefix: string;
  groups: { id: string; name: string; member_count: number }[];
  chosen: Set<string>;
  toggle: (id: string) => void;
  counts?: boolean;
}) {
  return (
    <fieldset>
      <legend>{props.legend}</legend>
      {props.groups.map((g) => (
        <div class="field check" key={g.id}>
          <input
            id={`${props.idPrefix}-${g.id}`}
            type="checkbox"
            checked={props.chosen.has(g.id)}
            onChange={() => props.toggle(g.id)}
          />
          <label for={`${props.idPrefix}-${g.id}`}>{props.counts ? `${g.name} (${g.member_count})` : g.name}</label>
        </div>
      ))}
    </fieldset>
  );
}

/** A table's head row: one column header per name. */
export function TableHead(props: { columns: string[] }) {
  return (
    <thead>
      <tr>
        {props.columns.map((name) => (
          <th scope="col" key={name}>
            {name}
          </th>
        ))}
      </tr>
    </thead>
  );
}
