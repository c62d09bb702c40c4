// Bearer tokens: minted once, stored only as SHA-256 digests, each bound to one role (and one agent).
import { createHash, randomBytes } from "node:crypto";
import { WardenError } from "../errors.js";
import { newId } from "../ids.js";
import type { LedgerStore, TokenRow } from "../ledger/index.js";
import { normalizeName, personKey } from "../people.js";

export type Role = TokenRow["role"];
export const ROLES: readonly Role[] = ["agent", "approver", "auditor", "admin"];

const TOKEN_NAME = /^[^\p{Cc}\p{Cf}]{1,256}$/u;
const TOKEN_PATTERN = /^wdn_[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Mints a token; the returned secret is shown once and never stored. */
export async function createToken(
  store: LedgerStore,
  request: {
    role: Role;
    agent?: string | null;
    name?: string | null;
    /** How long the token works, in ms; null or absent: until revoked. */
    ttlMs?: number | null;
  },
  now: Date = new Date(),
): Promise<{
  id: string;
  token: string;
  role: Role;
  agent: string | null;
  name: string | null;
  expiresAt: string | null;
}> {
  if (!ROLES.includes(request.role)) {
    throw new WardenError("INVALID_REQUEST", `role must be one of ${ROLES.join(", ")}`);
  }
  const agent = request.agent ?? null;
  if (request.role === "agent" && !agent) {
    throw new WardenError("INVALID_REQUEST", "an agent token must name its agent (--agent NAME)");
  }
  if (request.role !== "agent" && agent) {
    throw new WardenError("INVALID_REQUEST", "only agent tokens are bound to an agent");
  }
  // Stored normalized (NFKC, trimmed), so what the ledger records as the approver is one spelling.
  const name = request.name == null ? null : normalizeName(request.name);
  if (name !== null && !TOKEN_NAME.test(name)) {
    throw new WardenError(
      "INVALID_REQUEST",
      "a token name is 1–256 printable characters (e.g. an email address)",
    );
  }
  if (request.role === "approver" && !name) {
    throw new WardenError(
      "INVALID_REQUEST",
      "an approver token must name its person (--name alice@example.com)",
    );
  }
  const ttlMs = request.ttlMs ?? null;
  if (ttlMs !== null && !(Number.isSafeInteger(ttlMs) && ttlMs > 0)) {
    throw new WardenError("INVALID_REQUEST", "a token's time to live is a positive whole number of ms");
  }
  if (name !== null) await refuseLookAlike(store, name);
  const token = `wdn_${randomBytes(32).toString("base64url")}`;
  const row: TokenRow = {
    id: newId("tok"),
    hash: hashToken(token),
    role: request.role,
    agent,
    name,
    createdAt: now.toISOString(),
    revokedAt: null,
    expiresAt: ttlMs === null ? null : new Date(now.getTime() + ttlMs).toISOString(),
    lastUsedAt: null,
  };
  await store.putToken(row);
  return { id: row.id, token, role: row.role, agent, name, expiresAt: row.expiresAt };
}

/**
 * A name that differs from an existing token's name only by case, spacing or look-alike characters
 * would pass for that person in the ledger and to the dashboard's readers: refused. The same name
 * again (another token for the same person) is fine.
 */
async function refuseLookAlike(store: LedgerStore, name: string): Promise<void> {
  const key = personKey(name);
  const clash = (await store.tokenNames()).find((n) => normalizeName(n) !== name && personKey(n) === key);
  if (clash !== undefined) {
    throw new WardenError(
      "INVALID_REQUEST",
      `the name ${JSON.stringify(name)} differs from the existing token name ${JSON.stringify(clash)} only by case, spacing or look-alike characters`,
    );
  }
}

/**
 * The token row for a presented secret, or null. Lookup is by digest, so the comparison that matters
 * happens on SHA-256 outputs and leaks nothing useful about the secret through timing.
 */
export async function authenticate(
  store: LedgerStore,
  presented: string,
  now: Date = new Date(),
): Promise<TokenRow | null> {
  if (!TOKEN_PATTERN.test(presented)) return null;
  const row = await store.tokenByHash(hashToken(presented));
  return row && usable(row, now.getTime()) ? row : null;
}

/** Not revoked, and not past its expiry (an unreadable expiry counts as past: fail closed). */
function usable(row: TokenRow, nowMs: number): boolean {
  if (row.revokedAt) return false;
  if (row.expiresAt === null) return true;
  const expires = Date.parse(row.expiresAt);
  return Number.isFinite(expires) && nowMs < expires;
}

/** Who a token speaks for in approvals and the dashboard: its name, else its id. */
export function tokenIdentity(token: Pick<TokenRow, "id" | "name">): string {
  return token.name ?? token.id;
}

/** How long a looked-up token is trusted without asking the store again (a revocation takes this long). */
export const TOKEN_CACHE_MS = 5_000;
const TOKEN_CACHE_MAX = 10_000;

/**
 * Token lookups for the request path, remembered briefly: the store read is the costliest step of a
 * decision. A remembered token is never trusted past its expiry. Each store read of a good token also
 * records its last use, so `warden token list` shows it to within TOKEN_CACHE_MS.
 */
export class TokenCache {
  readonly #store: LedgerStore;
  readonly #now: () => number;
  readonly #entries = new Map<string, { row: TokenRow | null; until: number }>();

  constructor(store: LedgerStore, now: () => number = () => Date.now()) {
    this.#store = store;
    // Read at each call, not bound once: a test's fake clock (or any replaced Date) must be the one used.
    this.#now = now;
  }

  async authenticate(presented: string): Promise<TokenRow | null> {
    const now = this.#now();
    const hit = this.#entries.get(presented);
    if (hit && hit.until > now) return hit.row;
    const row = await authenticate(this.#store, presented, new Date(now));
    if (this.#entries.size >= TOKEN_CACHE_MAX) this.#entries.clear();
    // Only known tokens are remembered: random guesses must not be able to fill the cache.
    if (row) {
      const expires = row.expiresAt === null ? Number.POSITIVE_INFINITY : Date.parse(row.expiresAt);
      this.#entries.set(presented, { row, until: Math.min(now + TOKEN_CACHE_MS, expires) });
      // Bookkeeping only: a failed write must not refuse a good token.
      this.#store.touchToken(row.id, new Date(now).toISOString()).catch(() => undefined);
    }
    return row;
  }

  /** Whether the token is still unrevoked and unexpired, asked of the store now (not the cache). */
  async stillValid(token: TokenRow): Promise<boolean> {
    const row = await this.#store.tokenByHash(token.hash);
    return row !== null && usable(row, this.#now());
  }

  /** Drops the cached lookups of a token known to be revoked: no request may pass on them. */
  forget(tokenId: string): void {
    for (const [secret, hit] of this.#entries) if (hit.row?.id === tokenId) this.#entries.delete(secret);
  }
}
