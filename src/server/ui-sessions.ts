// Dashboard sessions: a cookie per browser login (a token, or a single sign-on), in this process's memory, with its CSRF token.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { WardenError } from "../errors.js";
import type { ProviderIdentity } from "../identity/index.js";
import type { TokenRow } from "../ledger/index.js";
import { providerRow } from "./provider-principal.js";
import type { TokenCache } from "./tokens.js";

export const SESSION_COOKIE = "warden_session";
export const CSRF_HEADER = "x-warden-csrf";
/** A dashboard session ends after this long without a request. */
export const UI_IDLE_MS = 12 * 60 * 60 * 1000;
/**
 * And this long after its login, however busy: a session id copied from a browser (or a token since
 * leaked and still unrevoked) does not stay good for as long as someone keeps using it.
 */
export const UI_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** Logins beyond this many live sessions push out the least recently used one: memory stays bounded. */
const MAX_UI_SESSIONS = 10_000;
/** Logins of one token beyond this many end its least recently used dashboard session. */
const MAX_UI_SESSIONS_PER_TOKEN = 20;

interface UiSession {
  /** The bearer secret the user logged in with, kept in memory only, so each request re-checks the token row. */
  secret: string | null;
  /** A single sign-on instead: who the provider said, until its ID token expires (then the session ends). */
  signedOn: { row: TokenRow; expiresAt: number; idToken: string } | null;
  csrf: string;
  openedAt: number;
  lastSeen: number;
}

export interface UiIdentity {
  token: TokenRow;
  csrf: string;
}

/** Dashboard sessions, kept in this process's memory: a restart logs everyone out, which is acceptable. */
export class UiSessions {
  readonly #tokens: TokenCache;
  readonly #sessions = new Map<string, UiSession>();
  readonly #now: () => number;

  constructor(tokens: TokenCache, now: () => number = Date.now) {
    this.#tokens = tokens;
    this.#now = now;
  }

  /** Opens a session for a presented bearer token; agent tokens are refused, whatever they are for. */
  async login(secret: string): Promise<{ id: string } & UiIdentity> {
    const token = await this.#tokens.authenticate(secret);
    if (!token) throw new WardenError("UNAUTHENTICATED", "unknown or revoked token");
    if (token.role === "agent") throw new WardenError("FORBIDDEN", "agent tokens cannot use the dashboard");
    return this.#open(token, { secret, signedOn: null });
  }

  /** Opens a session for a person the identity provider signed on; it ends when their ID token expires. */
  loginSignedOn(identity: ProviderIdentity, idToken: string): { id: string } & UiIdentity {
    if (identity.role === "agent") throw new WardenError("FORBIDDEN", "agents cannot use the dashboard");
    const row = providerRow(identity);
    return this.#open(row, { secret: null, signedOn: { row, expiresAt: identity.expiresAt, idToken } });
  }

  /** The ID token a single sign-on session was opened with (for the provider's logout), else null. */
  idTokenOf(id: string): string | null {
    return this.#sessions.get(id)?.signedOn?.idToken ?? null;
  }

  #open(token: TokenRow, how: Pick<UiSession, "secret" | "signedOn">): { id: string } & UiIdentity {
    this.#prune();
    // One token (or person) cannot crowd everyone else out of the bounded session table.
    const mine = [...this.#sessions].filter(([, s]) =>
      how.secret !== null ? s.secret === how.secret : s.signedOn?.row.id === token.id,
    );
    if (mine.length >= MAX_UI_SESSIONS_PER_TOKEN) this.#sessions.delete(mine[0]![0]);
    const id = randomBytes(32).toString("base64url");
    const csrf = randomBytes(32).toString("base64url");
    const now = this.#now();
    this.#sessions.set(id, { ...how, csrf, openedAt: now, lastSeen: now });
    return { id, token, csrf };
  }

  /**
   * The session's token, re-checked now (a revoked token ends the session), or null. `touch: false`
   * checks without counting as activity (an open live stream must not keep a forgotten tab signed in).
   */
  async resolve(id: string, options: { touch?: boolean } = {}): Promise<UiIdentity | null> {
    const s = this.#sessions.get(id);
    if (!s) return null;
    const now = this.#now();
    if (ended(s, now)) {
      this.#sessions.delete(id);
      return null;
    }
    const token = s.signedOn !== null ? s.signedOn.row : await this.#tokens.authenticate(s.secret ?? "");
    if (!token) {
      this.#sessions.delete(id);
      return null;
    }
    if (options.touch !== false) {
      // Re-insert so Map order stays least-recently-used first, for #prune.
      this.#sessions.delete(id);
      s.lastSeen = now;
      this.#sessions.set(id, s);
    }
    return { token, csrf: s.csrf };
  }

  end(id: string): void {
    this.#sessions.delete(id);
  }

  get size(): number {
    return this.#sessions.size;
  }

  #prune(): void {
    const now = this.#now();
    for (const [id, s] of this.#sessions) if (ended(s, now)) this.#sessions.delete(id);
    while (this.#sessions.size >= MAX_UI_SESSIONS) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
  }
}

/** Idle too long, open too long, or past the ID token of its sign-on. */
function ended(s: UiSession, now: number): boolean {
  return (
    now - s.lastSeen > UI_IDLE_MS ||
    now - s.openedAt >= UI_MAX_AGE_MS ||
    (s.signedOn !== null && now >= s.signedOn.expiresAt)
  );
}

/** Constant-time comparison of a presented CSRF token with the session's. */
export function csrfMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented, "utf8");
  const b = Buffer.from(expected, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}
