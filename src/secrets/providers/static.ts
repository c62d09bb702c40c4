// A lease of a value that cannot be revoked (an environment variable, a file): the ledger still records it.
import { randomUUID } from "node:crypto";
import type { SecretSpec } from "../config.js";
import type { Lease } from "../types.js";

/** A lease id: the provider name and a random UUID, so ids never collide across restarts. */
export function leaseId(provider: string): string {
  return `${provider}:${randomUUID()}`;
}

export function staticLease(
  provider: string,
  spec: SecretSpec,
  secret: string,
  ttlMs: number,
  now: Date,
): Lease {
  return {
    id: leaseId(provider),
    secret,
    provider,
    name: spec.name,
    ttlMs,
    expiresAt: new Date(now.getTime() + ttlMs),
    renewable: false,
    revokeHandle: { type: "none" },
  };
}
