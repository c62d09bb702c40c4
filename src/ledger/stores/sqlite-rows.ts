// Maps SQLite rows of the ledger tables to the contract's shapes.
import type { JsonObject } from "../../json.js";
import type { Checkpoint, LedgerRecord, RecordKind, SessionRow, TokenRow } from "../types.js";

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

export function toCheckpoint(r: Row): Checkpoint {
  return {
    chain: String(r.chain),
    seq: Number(r.seq),
    hash: String(r.hash),
    ts: String(r.ts),
    signature: String(r.signature),
    keyId: String(r.key_id),
  };
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
  };
}
