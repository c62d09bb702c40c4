// An in-memory ledger store with the SQLite store's semantics, plus failure injection for fail-closed tests.

import { canonicalJson } from "../../digest.js";
import { LedgerUnavailableError } from "../../errors.js";
import type { JsonObject } from "../../json.js";
import type {
  ChainHead,
  Checkpoint,
  LedgerRecord,
  LedgerStore,
  RecordPosition,
  RecordQuery,
  Sealer,
  SessionRow,
  TokenRow,
} from "../types.js";
import { claimDecision, type DecisionRow } from "./approval-decisions.js";
import { checkBatch, normalizeQuery, sessionChange, toUnavailable } from "./common.js";
import { MemoryHeldArgs } from "./memory-held-args.js";

export interface MemoryStoreOptions {
  /** Simulated commit latency (the fsync), so appends arriving meanwhile can be seen to batch up. */
  latencyMs?: number;
}

/**
 * A store for tests and throwaway ledgers. Records are kept as canonical JSON round-trips, as SQLite
 * keeps them, so what a test reads back is what a real store would return.
 *
 * @example
 * const store = new MemoryStore();
 * store.failNext(1); // the next append fails as a full disk would
 */
export class MemoryStore implements LedgerStore {
  /** append() calls so far: one per batch, the unit a real store pays an fsync for. */
  appendCalls = 0;
  /** Sealed arguments of pending approvals. */
  readonly heldArgs = new MemoryHeldArgs();
  readonly #latencyMs: number;
  readonly #records = new Map<string, LedgerRecord[]>();
  readonly #checkpoints = new Map<string, Checkpoint[]>();
  readonly #sessions = new Map<string, SessionRow>();
  readonly #decisions = new Map<string, DecisionRow[]>();
  readonly #tokens = new Map<string, TokenRow>();
  readonly #cursors = new Map<string, number>();
  #failures: Error[] = [];
  #failAlways: Error | null = null;
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.#latencyMs = options.latencyMs ?? 0;
  }

  /** The next `n` writes fail (after sealing, before anything is kept), as an I/O error at commit would. */
  failNext(n = 1, error: Error = new LedgerUnavailableError("injected failure")): void {
    for (let i = 0; i < n; i++) this.#failures.push(error);
  }

  /** Every write fails with `error` until called with null. */
  failWith(error: Error | null): void {
    this.#failAlways = error;
  }

  async append(chain: string, seal: Sealer): Promise<LedgerRecord[]> {
    this.appendCalls++;
    if (this.#latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.#latencyMs));
    // From here to the end nothing awaits, so the read-seal-write is atomic like a SQLite transaction.
    try {
      this.#assertOpen();
      const head = this.#head(chain);
      const signed = Object.fromEntries(
        [...this.#checkpoints].flatMap(([name, list]) => (list.length > 0 ? [[name, list.at(-1)!.seq]] : [])),
      );
      const { records, checkpoint } = seal(head, signed);
      checkBatch(chain, head, records, checkpoint);
      const stored = records.map(storedCopy);
      const claims = this.#claims(stored);
      this.#takeFailure();
      for (const c of claims) {
        const rows = this.#decisions.get(c.approvalId) ?? [];
        rows.push({ approver: c.approver, final: c.final });
        this.#decisions.set(c.approvalId, rows);
      }
      const list = this.#records.get(chain) ?? [];
      this.#records.set(chain, list);
      for (const r of stored) {
        list.push(r);
        this.#applySession(r);
      }
      if (checkpoint) this.#pushCheckpoint({ ...checkpoint });
      return records;
    } catch (err) {
      throw toUnavailable(err, "ledger append");
    }
  }

  /** The decision rows the batch adds, checked against each other and the stored ones (all or none). */
  #claims(records: readonly LedgerRecord[]) {
    const added = new Map<string, DecisionRow[]>();
    const claims = [];
    for (const r of records) {
      const id = typeof r.data.approvalId === "string" ? r.data.approvalId : "";
      const earlier = [...(this.#decisions.get(id) ?? []), ...(added.get(id) ?? [])];
      const claim = claimDecision(r, earlier);
      if (claim === null) continue;
      added.set(id, [...(added.get(id) ?? []), { approver: claim.approver, final: claim.final }]);
      claims.push(claim);
    }
    return claims;
  }

  async appendCheckpoint(checkpoint: Checkpoint): Promise<void> {
    try {
      this.#assertOpen();
      this.#takeFailure();
      const existing = this.#checkpoints.get(checkpoint.chain) ?? [];
      if (existing.some((c) => c.seq === checkpoint.seq)) throw new Error("checkpoint exists");
      this.#pushCheckpoint({ ...checkpoint });
    } catch (err) {
      throw toUnavailable(err, "checkpoint append");
    }
  }

  async head(chain: string): Promise<ChainHead | null> {
    this.#assertOpen();
    return this.#head(chain);
  }

  async chains(): Promise<string[]> {
    return [...new Set([...this.#records.keys(), ...this.#checkpoints.keys()])].sort();
  }

  async readChain(chain: string, fromSeq: number, limit: number): Promise<LedgerRecord[]> {
    const list = this.#records.get(chain) ?? [];
    // seq n sits at index n - 1 because chains are contiguous from 1.
    return list
      .slice(Math.max(0, fromSeq - 1), Math.max(0, fromSeq - 1) + limit)
      .map((r) => structuredClone(r));
  }

  async query(query: RecordQuery): Promise<LedgerRecord[]> {
    const q = normalizeQuery(query);
    const kinds = q.kinds ? new Set<string>(q.kinds) : null;
    const hits: LedgerRecord[] = [];
    for (const list of this.#records.values()) {
      for (const r of list) {
        if (q.session !== undefined && r.session !== q.session) continue;
        if (q.agent !== undefined && r.agent !== q.agent) continue;
        if (q.callId !== undefined && r.callId !== q.callId) continue;
        if (q.tool !== undefined && r.data.tool !== q.tool) continue;
        if (q.decision !== undefined && effectOf(r.data) !== q.decision) continue;
        if (kinds && !kinds.has(r.kind)) continue;
        if (q.since !== undefined && r.ts < q.since) continue;
        if (q.until !== undefined && r.ts >= q.until) continue;
        if (q.user !== undefined && this.#sessions.get(r.session ?? "")?.onBehalfOf !== q.user) continue;
        if (q.after && !isPast(r, q.after, q.newestFirst === true)) continue;
        hits.push(r);
      }
    }
    hits.sort(byTimeThenPosition);
    if (q.newestFirst) hits.reverse();
    return hits.slice(0, q.limit ?? hits.length).map((r) => structuredClone(r));
  }

  async checkpoints(chain: string): Promise<Checkpoint[]> {
    return (this.#checkpoints.get(chain) ?? []).map((c) => ({ ...c }));
  }

  async checkpointsAfter(chain: string, afterSeq: number, limit: number): Promise<Checkpoint[]> {
    const all = this.#checkpoints.get(chain) ?? [];
    return all
      .filter((c) => c.seq > afterSeq)
      .slice(0, limit)
      .map((c) => ({ ...c }));
  }

  async session(id: string): Promise<SessionRow | null> {
    const row = this.#sessions.get(id);
    return row ? { ...row } : null;
  }

  async sessions(q: { agent?: string; active?: boolean; limit?: number }): Promise<SessionRow[]> {
    const rows = [...this.#sessions.values()].filter(
      (s) =>
        (q.agent === undefined || s.agent === q.agent) &&
        (q.active === undefined || (s.endedAt === null) === q.active),
    );
    rows.sort((a, b) => (a.startedAt === b.startedAt ? cmp(a.id, b.id) : cmp(b.startedAt, a.startedAt)));
    return rows.slice(0, q.limit ?? rows.length).map((s) => ({ ...s }));
  }

  async putToken(row: TokenRow): Promise<void> {
    this.#assertOpen();
    for (const t of this.#tokens.values()) {
      if (t.hash === row.hash && t.id !== row.id)
        throw toUnavailable(new Error("token hash exists"), "token write");
    }
    this.#tokens.set(row.id, { ...row });
  }

  async tokenByHash(hash: string): Promise<TokenRow | null> {
    for (const t of this.#tokens.values()) if (t.hash === hash) return { ...t };
    return null;
  }

  async tokenNames(): Promise<string[]> {
    this.#assertOpen();
    return [...new Set([...this.#tokens.values()].flatMap((t) => (t.name === null ? [] : [t.name])))];
  }

  async tokens(): Promise<TokenRow[]> {
    this.#assertOpen();
    return [...this.#tokens.values()]
      .map((t) => ({ ...t }))
      .sort((a, b) => (a.createdAt === b.createdAt ? cmp(a.id, b.id) : cmp(a.createdAt, b.createdAt)));
  }

  async touchToken(id: string, at: string): Promise<void> {
    this.#assertOpen();
    const t = this.#tokens.get(id);
    if (t && (t.lastUsedAt === null || t.lastUsedAt < at)) t.lastUsedAt = at;
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    this.#assertOpen();
    const t = this.#tokens.get(id);
    if (!t || t.revokedAt) return false;
    t.revokedAt = at;
    return true;
  }

  async getCursor(sink: string, chain: string): Promise<number> {
    this.#assertOpen();
    return this.#cursors.get(JSON.stringify([sink, chain])) ?? 0;
  }

  async putCursor(sink: string, chain: string, seq: number): Promise<void> {
    this.#assertOpen();
    const key = JSON.stringify([sink, chain]);
    this.#cursors.set(key, Math.max(seq, this.#cursors.get(key) ?? 0));
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #head(chain: string): ChainHead | null {
    const last = this.#records.get(chain)?.at(-1);
    if (!last) return null;
    const cps = this.#checkpoints.get(chain);
    return { seq: last.seq, hash: last.hash, ts: last.ts, checkpointSeq: cps?.at(-1)?.seq ?? 0 };
  }

  #takeFailure(): void {
    const err = this.#failAlways ?? this.#failures.shift();
    if (err) throw err;
  }

  #assertOpen(): void {
    if (this.#closed) throw new LedgerUnavailableError("store closed");
  }

  #pushCheckpoint(c: Checkpoint): void {
    const list = this.#checkpoints.get(c.chain) ?? [];
    list.push(c);
    list.sort((a, b) => a.seq - b.seq);
    this.#checkpoints.set(c.chain, list);
  }

  #applySession(r: LedgerRecord): void {
    const change = sessionChange(r);
    if (change?.type === "start" && !this.#sessions.has(change.row.id))
      this.#sessions.set(change.row.id, change.row);
    if (change?.type === "end") {
      const row = this.#sessions.get(change.id);
      if (row && row.endedAt === null)
        Object.assign(row, { endedAt: change.endedAt, endReason: change.reason });
    }
  }
}

function storedCopy(r: LedgerRecord): LedgerRecord {
  return { ...r, data: JSON.parse(canonicalJson(r.data)) as JsonObject };
}

function effectOf(data: JsonObject): unknown {
  const d = data.decision;
  return d !== null && typeof d === "object" && !Array.isArray(d) ? d.effect : undefined;
}

/** Whether `r` comes after `position` in the query's order. */
function isPast(r: LedgerRecord, position: RecordPosition, newestFirst: boolean): boolean {
  const c = byTimeThenPosition(r, position);
  return newestFirst ? c < 0 : c > 0;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byTimeThenPosition(a: RecordPosition, b: RecordPosition): number {
  return cmp(a.ts, b.ts) || cmp(a.chain, b.chain) || a.seq - b.seq;
}
