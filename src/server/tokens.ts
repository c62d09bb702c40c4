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
  request: { role: Role; agent?: string | null; name?: string | null },
): Promise<{ id: string; token: string; role: Role; agent: string | null; name: string | null }> {
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
  if (name !== null) await refuseLookAlike(store, name);
  const token = `wdn_${randomBytes(32).toString("base64url")}`;
  const row: TokenRow = {
    id: newId("tok"),
    hash: hashToken(token),
    role: request.role,
    agent,
    name,
    createdAt: new Date().toISOString(),
    revokedAt: null,
  };
  await store.putToken(row);
  return { id: row.id, token, role: row.role, agent, name };
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
export async function authenticate(store: LedgerStore, presented: string): Promise<TokenRow | null> {
  if (!TOKEN_PATTERN.test(presented)) return null;
  const row = await store.tokenByHash(hashToken(presented));
  return row && !row.revokedAt ? row : null;
}

/** Who a token speaks for in approvals and the dashboard: its name, else its id. */
export function tokenIdentity(token: Pick<TokenRow, "id" | "name">): string {
  return token.name ?? token.id;
}

/** How long a looked-up token is trusted without asking the store again (a revocation takes this long). */
export const TOKEN_CACHE_MS = 5_000;
const TOKEN_CACHE_MAX = 10_000;

/** Token lookups for the request path, remembered briefly: the store read is the costliest step of a decision. */
export class TokenCache {
  readonly #store: LedgerStore;
  readonly #entries = new Map<string, { row: TokenRow | null; until: number }>();

  constructor(store: LedgerStore) {
    this.#store = store;
  }

  async authenticate(presented: string): Promise<TokenRow | null> {
    const now = Date.now();
    const hit = this.#entries.get(presented);
    if (hit && hit.until > now) return hit.row;
    const row = await authenticate(this.#store, presented);
    if (this.#entries.size >= TOKEN_CACHE_MAX) this.#entries.clear();
    // Only known tokens are remembered: random guesses must not be able to fill the cache.
    if (row) this.#entries.set(presented, { row, until: now + TOKEN_CACHE_MS });
    return row;
  }

  /** Whether the token is still unrevoked, asked of the store now (not the cache). */
  async stillValid(token: TokenRow): Promise<boolean> {
    const row = await this.#store.tokenByHash(token.hash);
    return row !== null && row.revokedAt === null;
  }

  /** Drops the cached lookups of a token known to be revoked: no request may pass on them. */
  forget(tokenId: string): void {
    for (const [secret, hit] of this.#entries) if (hit.row?.id === tokenId) this.#entries.delete(secret);
  }
}
