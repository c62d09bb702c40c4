// The SQLite ledger's query index, kept off the durable commit: an append writes only the chain table
// (records); the columns queries filter on are copied into record_index later, in batches, and a query
// reads the index for what it covers and the chain table for the tail it does not cover yet.
import type { Database, Statement } from "better-sqlite3";
import type { LedgerRecord, RecordQuery } from "../types.js";
import { type Row, toRecord } from "./rows.js";
import { CHAINS_SQL, recordFilter, type SqlDialect, type SqlParam } from "./sql.js";
import { SQLITE } from "./sqlite-sql.js";
import { statementCache } from "./sqlite-statements.js";

/** The index's own columns: `tool` and `effect` are copied out of `data` when a record is indexed. */
export const INDEXED: SqlDialect = { ...SQLITE, tool: "tool", effect: "effect" };

/** How many records one catch-up indexes at most, so one never holds the write lock for long. */
const BATCH = 5_000;

const COLUMNS = "r.chain, r.seq, r.v, r.ts, r.kind, r.session, r.agent, r.call_id, r.data, r.hash";

/**
 * Indexing and querying of one database connection's records. `catchUp()` is the only writer of the
 * index; it runs in its own transaction, never inside an append.
 */
export class RecordIndex {
  readonly #db: Database;
  readonly #stmt: (sql: string) => Statement;
  readonly #catchUpImmediate: () => number;
  readonly #queryTx: (q: RecordQuery) => LedgerRecord[];

  constructor(db: Database) {
    this.#db = db;
    this.#stmt = statementCache(db);
    const catchUpTx = db.transaction(() => this.#index());
    this.#catchUpImmediate = () => catchUpTx.immediate();
    // The heads and both halves of a query must come from one snapshot, or a record indexed in
    // between would be read twice or not at all.
    const queryTx = db.transaction((q: RecordQuery) => this.#query(q));
    this.#queryTx = (q) => queryTx.deferred(q);
  }

  /** Records matching a normalized query, whether or not the index covers them yet. */
  query(q: RecordQuery): LedgerRecord[] {
    return this.#queryTx(q);
  }

  /**
   * Indexes up to BATCH records of every chain past what the index covers; returns how many. The
   * index is derived data: its commit is not fsynced on its own (synchronous=NORMAL), the next durable
   * append's fsync carries it, and a crash that loses it loses nothing a query needs (the records stay
   * in the tail until indexed again).
   */
  catchUp(): number {
    if (this.#db.inTransaction) return 0;
    this.#db.pragma("synchronous = NORMAL");
    try {
      return this.#catchUpImmediate();
    } finally {
      // Appends are durable only at FULL: this must run whatever happened above.
      this.#db.pragma("synchronous = FULL");
    }
  }

  #index(): number {
    let count = 0;
    const insert = this.#stmt(
      `INSERT OR IGNORE INTO record_index (chain, seq, ts, kind, session, agent, call_id, tool, effect)
       SELECT chain, seq, ts, kind, session, agent, call_id,
         json_extract(data, '$.tool'), json_extract(data, '$.decision.effect')
       FROM records WHERE chain = ? AND seq > ? ORDER BY seq LIMIT ?`,
    );
    const setHead = this.#stmt(
      `INSERT INTO record_index_heads (chain, seq) SELECT ?, max(seq) FROM record_index WHERE chain = ?
       ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq`,
    );
    for (const [chain, head] of this.#heads()) {
      const added = insert.run(chain, head, BATCH).changes;
      if (added > 0) setHead.run(chain, chain);
      count += added;
    }
    return count;
  }

  /** Every chain with how far the index covers it (0: not at all). */
  #heads(): [string, number][] {
    const covered = new Map(
      (this.#stmt("SELECT chain, seq FROM record_index_heads").all() as { chain: string; seq: number }[]).map(
        (r) => [r.chain, r.seq],
      ),
    );
    const chains = this.#stmt(CHAINS_SQL).pluck().all() as string[];
    return chains.map((chain) => [chain, covered.get(chain) ?? 0]);
  }

  #query(q: RecordQuery): LedgerRecord[] {
    const dir = q.newestFirst ? "DESC" : "ASC";
    const order = `ORDER BY ts ${dir}, chain ${dir}, seq ${dir}`;
    const limit = q.limit ?? -1;
    const indexed = recordFilter(INDEXED, q);
    const heads = this.#heads();
    const tail = recordFilter(SQLITE, q);
    // Each chain's tail is a range of its primary key.
    const ranges = heads.map(() => "(chain = ? AND seq > ?)");
    const params: SqlParam[] = [...indexed.params, limit];
    let sql = `SELECT ${COLUMNS} FROM (SELECT chain, seq FROM record_index ${where(indexed.where)}
      ${order} LIMIT ?) i JOIN records r ON r.chain = i.chain AND r.seq = i.seq`;
    if (ranges.length > 0) {
      params.push(...heads.flat(), ...tail.params, limit);
      sql += ` UNION ALL SELECT * FROM (SELECT chain, seq, v, ts, kind, session, agent, call_id, data, hash
        FROM records ${where([`(${ranges.join(" OR ")})`, ...tail.where])} ${order} LIMIT ?)`;
    }
    params.push(limit);
    const rows = this.#stmt(`SELECT * FROM (${sql}) ${order} LIMIT ?`).all(...params) as Row[];
    return rows.map(toRecord);
  }
}

const where = (clauses: string[]): string => (clauses.length > 0 ? `WHERE ${clauses.join(" AND ")}` : "");
