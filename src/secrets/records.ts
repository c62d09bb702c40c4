// The ledger records of the broker: `secret.lease` and `secret.revoke`. Never a value; the handle says how to revoke.
import type { JsonObject } from "../json.js";
import type { LedgerRecord, RecordInput } from "../ledger/index.js";
import type { Lease, RevokeTarget, SecretSession } from "./types.js";

/** The process that handed a lease out, so another one can tell whether it died. */
export interface BrokerInstance {
  id: string;
  host: string;
  pid: number;
}

/** Broker instances alive in this process (added at construction, removed at close). */
export const LIVE_INSTANCES = new Set<string>();

export type RevokeReason = "session-end" | "expired" | "orphan" | "unrecorded" | "close";

export function leaseRecord(
  lease: Lease,
  session: SecretSession,
  tool: string,
  callId: string | null,
  issuedAt: Date,
  instance: BrokerInstance,
): RecordInput {
  return {
    kind: "secret.lease",
    session: session.id,
    agent: session.agent,
    callId,
    data: {
      leaseId: lease.id,
      provider: lease.provider,
      name: lease.name,
      tool,
      onBehalfOf: session.onBehalfOf,
      ...(lease.username !== undefined ? { username: lease.username } : {}),
      ttlMs: lease.ttlMs,
      issuedAt: issuedAt.toISOString(),
      expiresAt: lease.expiresAt.toISOString(),
      renewable: lease.renewable,
      revokeHandle: lease.revokeHandle,
      instance: { ...instance },
    },
  };
}

export function revokeRecord(
  lease: RevokeTarget,
  owner: { session: string | null; agent: string | null },
  reason: RevokeReason,
  error: string | null,
  at: Date,
  instance: BrokerInstance,
): RecordInput {
  return {
    kind: "secret.revoke",
    session: owner.session,
    agent: owner.agent,
    callId: null,
    data: {
      leaseId: lease.id,
      provider: lease.provider,
      name: lease.name,
      reason,
      status: error === null ? "revoked" : "failed",
      error,
      revokedAt: at.toISOString(),
      by: instance.id,
    },
  };
}

/** A recorded lease, read back: what recovery needs. */
export interface RecordedLease extends RevokeTarget {
  session: string | null;
  agent: string | null;
  expiresAt: string;
  instance: BrokerInstance | null;
}

/**
 * Deliberately not parseRecord: a lease record that fails its schema (corrupt, or from a foreign writer)
 * but still names a lease and how to revoke it is revoked all the same, since leaving a credential alive
 * is the worse failure. `warden verify` reports the record as malformed.
 */
export function recordedLease(r: LedgerRecord): RecordedLease | null {
  const d = r.data;
  if (typeof d.leaseId !== "string" || typeof d.provider !== "string" || typeof d.name !== "string")
    return null;
  const handle = d.revokeHandle;
  if (handle === null || typeof handle !== "object" || Array.isArray(handle)) return null;
  return {
    id: d.leaseId,
    provider: d.provider,
    name: d.name,
    revokeHandle: handle as JsonObject,
    session: r.session,
    agent: r.agent,
    expiresAt: typeof d.expiresAt === "string" ? d.expiresAt : "",
    instance: instanceOf(d.instance),
  };
}

function instanceOf(v: unknown): BrokerInstance | null {
  const o = v as Partial<BrokerInstance> | null;
  return o && typeof o.id === "string" && typeof o.host === "string" && typeof o.pid === "number"
    ? { id: o.id, host: o.host, pid: o.pid }
    : null;
}
