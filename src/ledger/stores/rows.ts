// Maps rows of the ledger tables (SQLite and PostgreSQL alike) to the contract's shapes, and back for inserts.

import { canonicalJson } from "../../digest.js";
import type { JsonObject } from "../../json.js";
import type {
  Cadence,
  Checkpoint,
  LedgerRecord,
  RecordKind,
  SessionRow,
  SignedHeads,
  TokenRow,
} from "../types.js";

export type Row = Record<string, string | number | null>;

export const RECORD_COLUMNS = "chain, seq, v, ts, kind, session, agent, call_id, data, hash";

export function toRecord(r: Row): LedgerRecord {
  return {
    v: Number(r.v) as 1,
    chain: String(r.chain),
    seq: Number(r.seq),
    ts: String(r.ts),
    kind: r.kind as RecordKind,
    session: r.session as string | null,
    agent: r.agent as string | null,
    callId: r.call_id as string | null,
    data: JSON.parse(String(r.data)) as JsonObject,
    hash: String(r.hash),
  };
}

/** The checkpoint columns, format-2 fields included (`v`, and `chains` and `cadence` as JSON text). */
export const CHECKPOINT_COLUMNS = "chain, seq, ts, hash, signature, key_id, v, chains, cadence";

export function toCheckpoint(r: Row): Checkpoint {
  const base: Checkpoint = {
    chain: String(r.chain),
    seq: Number(r.seq),
    hash: String(r.hash),
    ts: String(r.ts),
    signature: String(r.signature),
    keyId: String(r.key_id),
  };
  if (Number(r.v ?? 1) !== 2) return base;
  return {
    ...base,
    v: 2,
    chains: JSON.parse(String(r.chains)) as SignedHeads,
    cadence: JSON.parse(String(r.cadence)) as Cadence,
  };
}

/** The values of CHECKPOINT_COLUMNS for an insert. */
export function checkpointValues(c: Checkpoint): (string | number | null)[] {
  const v2 = c.v === 2;
  return [
    c.chain,
    c.seq,
    c.ts,
    c.hash,
    c.signature,
    c.keyId,
    v2 ? 2 : 1,
    v2 ? canonicalJson(c.chains ?? {}) : null,
    v2 ? canonicalJson(c.cadence ?? null) : null,
  ];
}

export function toSession(r: Row): SessionRow {
  return {
    id: String(r.id),
    agent: String(r.agent),
    onBehalfOf: String(r.on_behalf_of),
    intent: String(r.intent),
    parent: r.parent as string | null,
    startedAt: String(r.started_at),
    endedAt: r.ended_at as string | null,
    endReason: r.end_reason as string | null,
  };
}

export function toToken(r: Row): TokenRow {
  return {
    id: String(r.id),
    hash: String(r.hash),
    role: r.role as TokenRow["role"],
    agent: r.agent as string | null,
    name: (r.name as string | null | undefined) ?? null,
    createdAt: String(r.created_at),
    revokedAt: r.revoked_at as string | null,
    expiresAt: (r.expires_at as string | null | undefined) ?? null,
    lastUsedAt: (r.last_used_at as string | null | undefined) ?? null,
  };
}
