// The one way the application talks to Roster: `/v1/...` on its own origin (the console routes
// each path to the owning service), with the access token held in memory only. The refresh
// token is in an HttpOnly cookie the console sets; when the access token is about to lapse, or
// a call is refused with 401, the page asks the console for a new one.

export interface ErrorBody {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(status: number, body: ErrorBody) {
    super(body.message);
    this.status = status;
    this.code = body.code;
    this.details = body.details ?? {};
  }
}

export interface Session {
  accessToken: string;
  expiresAt: number; // epoch ms
  organization: string;
  role: "admin" | "manager" | "staff";
  user: string;
}

type Listener = (session: Session | null) => void;

const SESSION_HEADERS = { "X-Roster-Console": "1" } as const;
let current: Session | null = null;
let refreshing: Promise<Session | null> | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<Listener>();

export function session(): Session | null {
  return current;
}

export function onSession(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function claims(token: string): Record<string, unknown> {
  const part = token.split(".")[1] ?? "";
  const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
  return JSON.parse(json) as Record<string, unknown>;
}

interface SessionAnswer {
  access_token: string;
  expires_in: number;
  organization: string;
  role: Session["role"];
}

function keep(answer: SessionAnswer | null): Session | null {
  clearTimeout(refreshTimer);
  current = answer
    ? {
        accessToken: answer.access_token,
        expiresAt: Date.now() + answer.expires_in * 1000,
        organization: answer.organization,
        role: answer.role,
        user: String(claims(answer.access_token).sub ?? ""),
      }
    : null;
  if (current) {
    // A minute before it lapses (never sooner than 10 s from now).
    const wait = Math.max(10_000, current.expiresAt - Date.now() - 60_000);
    refreshTimer = setTimeout(() => void refreshSession(), wait);
  }
  for (const listener of listeners) listener(current);
  return current;
}

async function errorOf(response: Response): Promise<ApiError> {
  let body: ErrorBody = {
    code: `http_${response.status}`,
    message: response.statusText,
    details: {},
  };
  try {
    const parsed = (await response.json()) as { error?: ErrorBody };
    if (parsed.error) body = parsed.error;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(response.status, body);
}

export async function signIn(email: string, password: string, organization: string): Promise<Session> {
  const response = await fetch("/console/session", {
    method: "POST",
    headers: { ...SESSION_HEADERS, "Content-Type": "application/json" },
    body: JSON.stringify({ email, password, organization }),
    credentials: "same-origin",
  });
  if (!response.ok) throw await errorOf(response);
  return keep((await response.json()) as SessionAnswer) as Session;
}

/** What the console's refresh route answered: a session, none (401/403: sign in again), or
 * nothing to go by (the console or the accounts service unreachable: try again later). */
async function askForSession(): Promise<SessionAnswer | null | "unreachable"> {
  try {
    const response = await fetch("/console/session/refresh", {
      method: "POST",
      headers: SESSION_HEADERS,
      credentials: "same-origin",
    });
    if (response.ok) return (await response.json()) as SessionAnswer;
    return response.status === 401 || response.status === 403 ? null : "unreachable";
  } catch {
    return "unreachable";
  }
}

const RETRY_MS = 15_000;
let generation = 0; // signing out moves it on: an answer asked for before is then ignored

/** A new access token from the refresh cookie; null when there is no session to continue.
 * Tabs share the cookie and each refresh retires it, so tabs take turns (a Web Lock): two tabs
 * refreshing with one token would look like a stolen token and end the session. */
export function refreshSession(): Promise<Session | null> {
  refreshing ??= (async () => {
    const asked = generation;
    try {
      const answer = navigator.locks
        ? await navigator.locks.request("roster-session-refresh", askForSession)
        : await askForSession();
      if (asked !== generation) return current;
      if (answer === "unreachable") {
        // Keep the session the page has (it may still be good) and try again shortly.
        clearTimeout(refreshTimer);
        refreshTimer = setTimeout(() => void refreshSession(), RETRY_MS);
        return current;
      }
      return keep(answer);
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

export async function signOut(): Promise<void> {
  generation += 1;
  await refreshing?.catch(() => null);
  const headers: Record<string, string> = { ...SESSION_HEADERS };
  if (current) headers.Authorization = `Bearer ${current.accessToken}`;
  keep(null);
  try {
    await fetch("/console/session", { method: "DELETE", headers, credentials: "same-origin" });
  } catch {
    // The cookie stays until the next sign-out or sign-in; the page holds nothing any more.
  }
}

export interface CallOptions {
  body?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
}

async function send(method: string, path: string, options: CallOptions): Promise<Response> {
  const headers: Record<string, string> = {
    Accept: "application/json",
    ...options.headers,
  };
  if (current) headers.Authorization = `Bearer ${current.accessToken}`;
  let body: BodyInit | undefined;
  if (options.form) body = options.form;
  else if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  return fetch(path, { method, headers, body, credentials: "omit" });
}

/** The raw answer (a file to download, say), refreshed and retried once on 401. */
export async function call(method: string, path: string, options: CallOptions = {}): Promise<Response> {
  let response = await send(method, path, options);
  if (response.status === 401 && (await refreshSession())) {
    response = await send(method, path, options);
  }
  if (response.status === 401) keep(null);
  if (!response.ok) throw await errorOf(response);
  return response;
}

export async function api<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const response = await call(method, path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export function get<T>(path: string): Promise<T> {
  return api<T>("GET", path);
}

/** `path?key=value&...`, leaving out empty values. */
export function withQuery(path: string, params: Record<string, string | number | undefined | null>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}
