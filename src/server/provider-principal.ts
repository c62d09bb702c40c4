// A caller the identity provider vouches for (a single sign-on or a provider token), in the shape the routes check.
import { createHash } from "node:crypto";
import type { ProviderIdentity } from "../identity/index.js";
import type { TokenRow } from "../ledger/index.js";

/** Marks rows that stand for a provider identity: no Warden token stands behind them, so none can be revoked. */
export const PROVIDER_ROW_PREFIX = "idp_";

/**
 * The identity as a token row: the id is stable per issuer and subject (rate limits and MCP sessions key on
 * it), the hash is empty since no Warden secret exists, the name is what the ledger records.
 */
export function providerRow(identity: ProviderIdentity): TokenRow {
  // The agent too: one person acting through two clients is two principals (MCP sessions are kept apart).
  const digest = createHash("sha256")
    .update(`${identity.issuer}\n${identity.subject}\n${identity.agent ?? ""}`)
    .digest("hex");
  return {
    id: `${PROVIDER_ROW_PREFIX}${digest.slice(0, 24)}`,
    hash: "",
    role: identity.role,
    agent: identity.agent,
    name: identity.name,
    createdAt: new Date(0).toISOString(),
    revokedAt: null,
    // The provider's own token carries its expiry, checked when it is verified.
    expiresAt: null,
    lastUsedAt: null,
  };
}

export function isProviderRow(row: TokenRow): boolean {
  return row.id.startsWith(PROVIDER_ROW_PREFIX) && row.hash === "";
}
