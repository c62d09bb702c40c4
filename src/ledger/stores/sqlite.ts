// The SQLite ledger store: WAL, synchronous=FULL, one IMMEDIATE transaction per batch, derived sessions table.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import Database, { type Statement } from "better-sqlite3";
import { canonicalData } from "../hash.js";
import { ReadWindow } from "../read-window.js";
import type {
  CallIdClaims,
  ChainHead,
  Checkpoint,
  HeldArgsTable,
  LedgerRecord,
  LedgerStore,
  RecordQuery,
  Sealer,
  SessionFeed,
  SessionRow,
  SignedHeads,
  TokenRow,
} from "../types.js";
import { claimDecision, decidedApproval } from "./approval-decisions.js";
import { checkBatch, normalizeQuery, sessionChange, toUnavailable } from "./common.js";
import {
  CHECKPOINT_COLUMNS,
  checkpointValues,
  RECORD_COLUMNS,
  type Row,
  toCheckpoint,
  toRecord,
  toSession,
  toToken,
} from "./rows.js";
import {
  CHAINS_SQL,
  CHECKPOINTS_AFTER_SQL,
  CHECKPOINTS_SQL,
  GET_CURSOR_SQL,
  PUT_CURSOR_SQL,
  PUT_TOKEN_SQL,
  READ_CHAIN_SQL,
  REVOKE_TOKEN_SQL,
  SESSION_SQL,
  type SqlParam,
  sessionQuery,
  TOKEN_BY_HASH_SQL,
  TOKEN_NAMES_SQL,
  TOKENS_SQL,
  TOUCH_TOKEN_SQL,
  tokenParams,
} from "./sql.js";
import { ensureApprovalDecisions } from "./sqlite-approval-decisions.js";
import { ensureCallIds, SqliteCallIds } from "./sqlite-call-ids.js";
import { ensureHeldArgs, SqliteHeldArgs } from "./sqlite-held-args.js";
import { RecordIndex } from "./sqlite-index.js";
import { checkSchema, migrate } from "./sqlite-schema.js";
import { SQLITE } from "./sqlite-sql.js";
import { statementCache } from "./sqlite-statements.js";

export interface SqliteStoreOptions {
  /** Open without write access (verify, export, `warden log`); the file must exist. */
  readonly?: boolean;
  /** How long a writer waits for another process's transaction (default 5000 ms). */
  busyTimeoutMs?: number;
}

/**
 * A ledger in one SQLite file. Several processes may append to the same file: each batch reads the
 * head inside its own IMMEDIATE transaction, so their records interleave into one valid chain.
 *
 * @example
 * const store = await SqliteStore.open(".warden/ledger.db");
 * const recent = await store.query({ newestFirst: true, limit: 20 });
 * await store.close();
 */
export class SqliteStore implements LedgerStore {
  readonly path: string;
  /** Sealed arguments of pending approvals (null when opened read-only). */
  readonly heldArgs: HeldArgsTable | null;
  readonly callIds: CallIdClaims | null;
  readonly #db: Database.Database;
  readonly #stmt: (sql: string) => Statement;
  readonly #appendTx: (chain: string, seal: Sealer) => LedgerRecord[];
  readonly #headTx: (chain: string) => ChainHead | null;
  readonly #index: RecordIndex;
  readonly #readonly: boolean;
  /** Records this store appended that the index does not cover yet, and the timer that will index them. */
  #unindexed = 0;
  #indexTimer: NodeJS.Timeout | null = null;
  #endWatch: SessionEndWatch | null = null;
  /**
   * What this connection's last append left: the chain's head and every chain's signed head, as of
   * `version` (PRAGMA data_version, which moves only when another connection commits). The next append
   * on an unchanged file skips reading them again inside its write lock.
   */
  #lastAppend: { version: number; chain: string; head: ChainHead; signed: SignedHeads } | null = null;

  private constructor(path: string, db: Database.Database, readonly: boolean) {
    this.path = path;
    this.#db = db;
    this.#stmt = statementCache(db);
    this.heldArgs = readonly ? null : new SqliteHeldArgs(db);
    this.callIds = readonly ? null : new SqliteCallIds(db);
    this.#readonly = readonly;
    this.#index = new RecordIndex(db);
    const tx = db.transaction((chain: string, seal: Sealer) => this.#appendInTx(chain, seal));
    // IMMEDIATE takes the write lock before reading the head, so no other writer can slip in between.
    this.#appendTx = (chain, seal) => tx.immediate(chain, seal);
    // The head's two reads (last record, last checkpoint) must see the same snapshot.
    const headTx = db.transaction((chain: string) => this.#head(chain));
    this.#headTx = (chain) => headTx.deferred(chain);
  }

  static async open(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    let db: Database.Database | null = null;
    try {
      if (options.readonly) {
        db = new Database(path, { readonly: true, fileMustExist: true });
        db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
        checkSchema(db);
      } else {
        if (path !== ":memory:") createPrivately(path);
        db = new Database(path);
        db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
        db.pragma("journal_mode = WAL");
        // FULL: the WAL is fsynced at every commit, so a resolved append survives power loss.
        db.pragma("synchronous = FULL");
        migrate(db, () => new Date().toISOString());
        ensureApprovalDecisions(db);
        ensureHeldArgs(db);
        ensureCallIds(db);
      }
      const store = new SqliteStore(path, db, options.readonly === true);
      // Whatever an earlier process appended and did not index (it crashed, or was killed) is indexed now.
      if (!options.readonly) store.#indexNow();
      return store;
    } catch (err) {
      db?.close();
      throw toUnavailable(err, "opening the ledger database");
    }
  }

  async append(chain: string, seal: Sealer): Promise<LedgerRecord[]> {
    let records: LedgerRecord[];
    try {
      records = this.#appendTx(chain, seal);
    } catch (err) {
      // Set inside the transaction: a commit that failed after it must not leave a head that is not there.
      this.#lastAppend = null;
      throw toUnavailable(err, "ledger append");
    }
    this.#unindexed += records.length;
    this.#scheduleIndex();
    return records;
  }

  async appendCheckpoint(c: Checkpoint): Promise<void> {
    this.#lastAppend = null;
    this.#run("checkpoint append", () => this.#insertCheckpoint(c));
  }

  async head(chain: string): Promise<ChainHead | null> {
    return this.#run("reading the chain head", () => this.#headTx(chain));
  }

  async chains(): Promise<string[]> {
    return (await this.#rows("listing chains", CHAINS_SQL, [])).map((r) => String(r.chain));
  }

  async readChain(chain: string, fromSeq: number, limit: number): Promise<LedgerRecord[]> {
    return (await this.#rows("reading records", READ_CHAIN_SQL, [chain, fromSeq, limit])).map(toRecord);
  }

  async query(query: RecordQuery): Promise<LedgerRecord[]> {
    const q = normalizeQuery(query);
    if (q.kinds?.length === 0) return [];
    return this.#run("querying records", () => this.#index.query(q));
  }

  changeStamp(): number {
    return this.#run("reading the data version", () => this.#dataVersion());
  }

  async checkpoints(chain: string): Promise<Checkpoint[]> {
    return (await this.#rows("reading checkpoints", CHECKPOINTS_SQL, [chain])).map(toCheckpoint);
  }

  async checkpointsAfter(chain: string, afterSeq: number, limit: number): Promise<Checkpoint[]> {
    const rows = await this.#rows("reading checkpoints", CHECKPOINTS_AFTER_SQL, [chain, afterSeq, limit]);
    return rows.map(toCheckpoint);
  }

  async session(id: string): Promise<SessionRow | null> {
    const [row] = await this.#rows("reading a session", SESSION_SQL, [id]);
    return row ? toSession(row) : null;
  }

  async sessions(q: { agent?: string; active?: boolean; limit?: number }): Promise<SessionRow[]> {
    const { text, params } = sessionQuery(SQLITE, q);
    return (await this.#rows("reading sessions", text, params)).map(toSession);
  }

  async putToken(t: TokenRow): Promise<void> {
    this.#run("token write", () => this.#stmt(PUT_TOKEN_SQL).run(...tokenParams(t)));
  }

  async tokens(): Promise<TokenRow[]> {
    return this.#run("reading tokens", () => (this.#stmt(TOKENS_SQL).all() as Row[]).map(toToken));
  }

  async touchToken(id: string, at: string): Promise<void> {
    this.#run("token use", () => this.#stmt(TOUCH_TOKEN_SQL).run(at, id, at));
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    return (await this.#rows("token revoke", REVOKE_TOKEN_SQL, [at, id])).length > 0;
  }

  async tokenByHash(hash: string): Promise<TokenRow | null> {
    const [row] = await this.#rows("reading a token", TOKEN_BY_HASH_SQL, [hash]);
    return row ? toToken(row) : null;
  }

  async tokenNames(): Promise<string[]> {
    return (await this.#rows("reading token names", TOKEN_NAMES_SQL, [])).map((r) => String(r.name));
  }

  async getCursor(sink: string, chain: string): Promise<number> {
    const [row] = await this.#rows("reading an export cursor", GET_CURSOR_SQL, [sink, chain]);
    return row ? Number(row.seq) : 0;
  }

  async putCursor(sink: string, chain: string, seq: number): Promise<void> {
    this.#run("export cursor write", () => this.#stmt(PUT_CURSOR_SQL).run(sink, chain, seq));
  }

  /** The file a separate verifier reads; null for an in-memory database. */
  get file(): string | null {
    return this.path === ":memory:" ? null : this.path;
  }

  /**
   * Session ends written by other processes on this file (the CLI, `warden start` beside `warden mcp`),
   * seen within SESSION_POLL_MS: the polling starts with the first subscriber and costs one pragma read
   * while nobody else writes.
   */
  get sessionFeed(): SessionFeed {
    this.#endWatch ??= new SessionEndWatch(
      this.#db,
      () => this.#dataVersion(),
      (since) => this.#index.query({ kinds: ["session.end"], since }),
    );
    return this.#endWatch;
  }

  async close(): Promise<void> {
    this.#endWatch?.stop();
    if (this.#indexTimer !== null) clearTimeout(this.#indexTimer);
    if (this.#db.open) {
      this.#indexNow();
      this.#db.close();
    }
  }

  /**
   * Indexes soon after appends, never inside one: in batches of at least INDEX_AFTER_RECORDS records or
   * INDEX_AFTER_MS, so the index's pages are written once per batch instead of once per commit.
   */
  #scheduleIndex(): void {
    if (this.#unindexed >= INDEX_AFTER_RECORDS) {
      if (this.#indexTimer !== null) clearTimeout(this.#indexTimer);
      this.#indexTimer = null;
      setImmediate(() => this.#indexNow());
      return;
    }
    if (this.#indexTimer !== null) return;
    this.#indexTimer = setTimeout(() => {
      this.#indexTimer = null;
      this.#indexNow();
    }, INDEX_AFTER_MS);
    // A finished CLI or test process must not wait for it: close() indexes what is left.
    this.#indexTimer.unref();
  }

  #indexNow(): void {
    if (this.#readonly || !this.#db.open) return;
    this.#unindexed = 0;
    try {
      while (this.#index.catchUp() > 0 && this.#db.open) {
        // A long tail (a crashed writer's, a migration's) goes in several short transactions.
      }
    } catch {
      // The index is derived: a failure (a busy or full disk) leaves the records in the tail, which
      // every query still reads; the next batch tries again.
    }
  }

  #appendInTx(chain: string, seal: Sealer): LedgerRecord[] {
    const version = this.#dataVersion();
    const last = this.#lastAppend;
    const known = last !== null && last.version === version && last.chain === chain;
    this.#lastAppend = null;
    const head = known ? last.head : this.#head(chain);
    const signed = known ? last.signed : this.#signedHeads();
    const { records, checkpoint } = seal(head, signed);
    checkBatch(chain, head, records, checkpoint);
    const insert = this.#stmt(
      `INSERT INTO records (${RECORD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const r of records) {
      insert.run(
        r.chain,
        r.seq,
        r.v,
        r.ts,
        r.kind,
        r.session,
        r.agent,
        r.callId,
        canonicalData(r.data),
        r.hash,
      );
      this.#applySession(r);
      this.#claimDecision(r);
    }
    if (checkpoint) this.#insertCheckpoint(checkpoint);
    const tip = records.at(-1);
    if (tip !== undefined) {
      const checkpointSeq = checkpoint?.seq ?? head?.checkpointSeq ?? 0;
      this.#lastAppend = {
        version,
        chain,
        head: { seq: tip.seq, hash: tip.hash, ts: tip.ts, checkpointSeq },
        signed: checkpoint ? { ...signed, [chain]: checkpoint.seq } : signed,
      };
    }
    return records;
  }

  /** Inside the IMMEDIATE transaction, which no other process's append can interleave with. */
  #claimDecision(r: LedgerRecord): void {
    const id = decidedApproval(r);
    if (id === null) return;
    const earlier = (
      this.#stmt(
        "SELECT approver, final FROM approval_decisions WHERE approval_id = ? ORDER BY position",
      ).all(id) as { approver: string | null; final: number }[]
    ).map((row) => ({ approver: row.approver, final: row.final === 1 }));
    const claim = claimDecision(r, earlier)!;
    this.#stmt(
      "INSERT INTO approval_decisions (approval_id, position, approver, final) VALUES (?, ?, ?, ?)",
    ).run(claim.approvalId, claim.position, claim.approver, claim.final ? 1 : 0);
  }

  #head(chain: string): ChainHead | null {
    const last = this.#stmt(
      "SELECT seq, hash, ts FROM records WHERE chain = ? ORDER BY seq DESC LIMIT 1",
    ).get(chain) as { seq: number; hash: string; ts: string } | undefined;
    if (!last) return null;
    const cp = this.#stmt("SELECT max(seq) AS seq FROM checkpoints WHERE chain = ?").get(chain) as {
      seq: number | null;
    };
    return { seq: last.seq, hash: last.hash, ts: last.ts, checkpointSeq: cp.seq ?? 0 };
  }

  // A skip-scan over the checkpoints' primary key: one probe per chain, however many checkpoints there are.
  #signedHeads(): SignedHeads {
    const rows = this.#all(
      `WITH RECURSIVE c(chain) AS (
        SELECT min(chain) FROM checkpoints
        UNION ALL SELECT (SELECT min(chain) FROM checkpoints WHERE chain > c.chain) FROM c WHERE c.chain IS NOT NULL)
      SELECT chain, (SELECT max(seq) FROM checkpoints k WHERE k.chain = c.chain) AS seq FROM c WHERE chain IS NOT NULL`,
      [],
    );
    return Object.fromEntries(rows.map((r) => [String(r.chain), Number(r.seq)]));
  }

  #insertCheckpoint(c: Checkpoint): void {
    this.#stmt(`INSERT INTO checkpoints (${CHECKPOINT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      ...checkpointValues(c),
    );
  }

  #applySession(r: LedgerRecord): void {
    const change = sessionChange(r);
    if (change?.type === "start") {
      const s = change.row;
      this.#stmt(
        `INSERT INTO sessions (id, agent, on_behalf_of, intent, parent, started_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING`,
      ).run(s.id, s.agent, s.onBehalfOf, s.intent, s.parent, s.startedAt);
    } else if (change?.type === "end") {
      this.#stmt("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL").run(
        change.endedAt,
        change.reason,
        change.id,
      );
    }
  }

  /** PRAGMA data_version: it moves only when another connection commits to the file. */
  #dataVersion(): number {
    return this.#stmt("PRAGMA data_version").pluck().get() as number;
  }

  #all(sql: string, params: SqlParam[]): Row[] {
    return this.#stmt(sql).all(...params) as Row[];
  }

  /** Runs one statement; whatever SQLite throws becomes LEDGER_UNAVAILABLE naming the operation. */
  async #rows(op: string, sql: string, params: SqlParam[]): Promise<Row[]> {
    return this.#run(op, () => this.#all(sql, params));
  }

  #run<T>(op: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw toUnavailable(err, op);
    }
  }
}

/**
 * Creates a new ledger file readable by its owner only (0600, like its key), whoever opens it. SQLite
 * gives the -wal and -shm files the mode of the database file, so they inherit it.
 */
function createPrivately(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (existsSync(path)) return;
  // "a": never truncates a file another process created in between. chmod because open's mode passes the umask.
  closeSync(openSync(path, "a", 0o600));
  chmodSync(path, 0o600);
}

/** Index once this many appended records wait, or this long after the first of them. */
const INDEX_AFTER_RECORDS = 256;
const INDEX_AFTER_MS = 1_000;

const SESSION_POLL_MS = 200;
/** A writer's batch commits just after it is stamped: each poll reads back this far behind the clock. */
const SESSION_POLL_SLACK_MS = 5_000;

class SessionEndWatch implements SessionFeed {
  readonly #db: Database.Database;
  readonly #listeners = new Set<(id: string | null) => void>();
  readonly #version: () => number;
  readonly #ends: (since: string) => LedgerRecord[];
  #timer: NodeJS.Timeout | null = null;
  #lastVersion: unknown = null;
  readonly #window = new ReadWindow(Date.now() - SESSION_POLL_SLACK_MS);
  #live = true;

  constructor(db: Database.Database, version: () => number, ends: (since: string) => LedgerRecord[]) {
    this.#db = db;
    // data_version moves only when another connection commits: a lone writer never queries.
    this.#version = version;
    this.#ends = ends;
  }

  get live(): boolean {
    return this.#live;
  }

  subscribe(listener: (id: string | null) => void): () => void {
    this.#listeners.add(listener);
    if (this.#timer === null) {
      this.#timer = setInterval(() => this.#poll(), SESSION_POLL_MS);
      this.#timer.unref();
    }
    return () => this.#listeners.delete(listener);
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  #poll(): void {
    if (!this.#db.open) {
      this.stop();
      return;
    }
    try {
      const version = this.#version();
      const now = Date.now();
      if (version === this.#lastVersion && this.#live) {
        // Nobody else wrote: the window moves on, so the next real read starts near the present.
        this.#window.moveTo(now - SESSION_POLL_SLACK_MS);
        return;
      }
      const rows = this.#ends(this.#window.since);
      this.#lastVersion = version;
      if (!this.#live) {
        // Ends may have been missed while the file could not be read: every cached session is suspect.
        this.#live = true;
        this.#emit(null);
      }
      for (const r of rows) if (this.#window.isNew(r) && r.session !== null) this.#emit(r.session);
      // By the clock, not by the newest end: with no ends the window must still move, or each poll
      // would read every record written since the start.
      this.#window.moveTo(now - SESSION_POLL_SLACK_MS);
    } catch {
      this.#live = false;
    }
  }

  #emit(id: string | null): void {
    for (const listener of this.#listeners) {
      try {
        listener(id);
      } catch {
        // One failing listener must not keep the end from the others; the row is not read again.
      }
    }
  }
}
