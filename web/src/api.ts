// Calls to the Warden API from the browser: same origin, cookie session, CSRF header on every write.
import type { Me } from "./types.js";

let csrf: string | null = null;
const unauthorizedListeners = new Set<() => void>();

/** An API error as the server sent it: a stable code, a status and a message for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function setCsrf(token: string | null): void {
  csrf = token;
}

/** Called when the session ended (expired, revoked, logged out elsewhere). */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export async function api<T>(
  path: string,
  init: { method?: "GET" | "POST"; body?: unknown } = {},
): Promise<T> {
  const method = init.method ?? "GET";
  const headers: Record<string, string> = { accept: "application/json" };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && csrf) headers["x-warden-csrf"] = csrf;
  const res = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
    if (res.status === 401 && !path.startsWith("/ui/")) for (const l of unauthorizedListeners) l();
    throw new ApiError(res.status, error?.code ?? "HTTP_ERROR", error?.message ?? `HTTP ${res.status}`);
  }
  return parsed as T;
}

export async function login(token: string): Promise<Me> {
  const me = await api<Me>("/ui/login", { method: "POST", body: { token } });
  setCsrf(me.csrf);
  return me;
}

export async function currentUser(): Promise<Me | null> {
  try {
    const me = await api<Me>("/ui/me");
    setCsrf(me.csrf);
    return me;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

/** Ends the session; for a single sign-on, returns the provider's logout page to go to next. */
export async function logout(): Promise<string | null> {
  const ended = await api<{ logoutUrl?: string } | null>("/ui/logout", { method: "POST" }).catch(() => null);
  setCsrf(null);
  return ended?.logoutUrl ?? null;
}

/** Whether the server offers single sign-on with the company's identity provider. */
export async function signOnEnabled(): Promise<boolean> {
  const answer = await api<{ enabled: boolean }>("/ui/sso").catch(() => null);
  return answer?.enabled === true;
}

/** A message fit to show: the code for people who grep logs, the message for everyone. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
