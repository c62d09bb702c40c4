// What every store shares: batch sanity checks, the sessions view of records, query normalization, error mapping.
import { LedgerUnavailableError, WardenError } from "../../errors.js";
import { isRecordKind } from "../input.js";
import { parseRecord } from "../records/read.js";
import type { ChainHead, Checkpoint, LedgerRecord, RecordQuery, SessionRow } from "../types.js";

/**
 * Refuses a sealed batch that does not continue `head` exactly: a store must never write a gap or a
 * fork, even if a sealer is buggy.
 */
export function checkBatch(
  chain: string,
  head: ChainHead | null,
  records: readonly LedgerRecord[],
  checkpoint: Checkpoint | null,
): void {
  let expected = (head?.seq ?? 0) + 1;
  for (const r of records) {
    if (r.chain !== chain || r.seq !== expected)
      throw new Error("sealed batch does not continue the chain head");
    expected++;
  }
  if (checkpoint && (checkpoint.chain !== chain || checkpoint.seq < 1 || checkpoint.seq >= expected)) {
    throw new Error("sealed checkpoint is not inside the chain");
  }
}

export type SessionChange =
  | { type: "start"; row: SessionRow }
  | { type: "end"; id: string; endedAt: string; reason: string | null }
  | null;

/**
 * How a record changes the sessions table: session.start opens a row, session.end closes it. The data is
 * read through the kinds' schemas. A malformed start (only a writer past the ledger can append one) opens
 * no row; a malformed end still ends the session (without a reason): an end must never be lost.
 */
export function sessionChange(r: LedgerRecord): SessionChange {
  if (r.session === null) return null;
  if (r.kind === "session.start") {
    const read = parseRecord(r, "session.start");
    if (!read.ok) return null;
    const { onBehalfOf, intent, parent } = read.record.data;
    const row = { id: r.session, agent: r.agent ?? "", onBehalfOf, intent, parent, startedAt: r.ts };
    return { type: "start", row: { ...row, endedAt: null, endReason: null } };
  }
  if (r.kind === "session.end") {
    const read = parseRecord(r, "session.end");
    return { type: "end", id: r.session, endedAt: r.ts, reason: read.ok ? read.record.data.reason : null };
  }
  return null;
}

/** A query with `since` as a UTC ISO string (comparable as text) and a checked limit. */
export function normalizeQuery(q: RecordQuery): RecordQuery {
  const out = { ...q };
  if (q.since !== undefined) out.since = isoOf(q.since, "since");
  if (q.until !== undefined) out.until = isoOf(q.until, "until");
  if (q.after !== undefined) {
    const { ts, chain, seq } = q.after;
    if (typeof chain !== "string" || !(Number.isSafeInteger(seq) && seq >= 0))
      throw new WardenError("INVALID_REQUEST", "query.after is not a record position");
    out.after = { ts: isoOf(ts, "after.ts"), chain, seq };
  }
  if (q.kinds?.some((k) => !isRecordKind(k))) {
    throw new WardenError("INVALID_REQUEST", "query.kinds holds an unknown record kind");
  }
  if (q.limit !== undefined && !(Number.isSafeInteger(q.limit) && q.limit >= 0)) {
    throw new WardenError("INVALID_REQUEST", "query.limit must be a non-negative integer");
  }
  return out;
}

/** A time as UTC ISO text with milliseconds, the form records keep (so text order is time order). */
function isoOf(value: string, field: string): string {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new WardenError("INVALID_REQUEST", `query.${field} is not an ISO time`);
  return new Date(t).toISOString();
}

/**
 * The record kinds the approval queue polls for, in the order of the partial index that covers them
 * (SQLite uses a partial index only for a query holding its exact `WHERE` term).
 */
export const APPROVAL_KINDS = ["approval.request", "approval.decision"] as const;
export const APPROVAL_KINDS_SQL = `kind IN (${APPROVAL_KINDS.map((k) => `'${k}'`).join(", ")})`;

/** Whether a query asks for exactly the approval kinds, in index order. */
export function isApprovalKinds(kinds: readonly string[] | undefined): boolean {
  return kinds?.length === APPROVAL_KINDS.length && kinds.every((k, i) => k === APPROVAL_KINDS[i]);
}

/** Turns whatever a backend threw into a LedgerUnavailableError naming only the operation and an error code. */
export function toUnavailable(err: unknown, op: string): WardenError {
  if (err instanceof WardenError) return err;
  // Only the code: driver messages can quote SQL or values, and a message may end up in front of an agent.
  const code = (err as { code?: unknown } | null)?.code;
  const suffix = typeof code === "string" && /^[A-Z0-9_]+$/.test(code) ? ` (${code})` : "";
  return new LedgerUnavailableError(`${op} failed${suffix}`, err);
}
