// The PostgreSQL ledger store: one chain per instance (advisory lock), pooled reads, LISTEN/NOTIFY, shared buckets.
import pg from "pg";
import { LedgerUnavailableError, WardenError } from "../../errors.js";
import type {
  ChainHead,
  Checkpoint,
  LedgerRecord,
  LedgerStore,
  RecordQuery,
  Sealer,
  SessionFeed,
  SessionRow,
  SharedBuckets,
  TokenRow,
} from "../types.js";
import { normalizeQuery, toUnavailable } from "./common.js";
import { appendBatch, HEAD_SQL, INSERT_CHECKPOINT, toHead } from "./postgres-append.js";
import { ensureApprovalDecisions } from "./postgres-approval-decisions.js";
import { PostgresBuckets } from "./postgres-buckets.js";
import { ensureCallIds, PostgresCallIds } from "./postgres-call-ids.js";
import { clientConfig, type PgConnectOptions } from "./postgres-connect.js";
import { channelName, EventFeed } from "./postgres-events.js";
import { ensureHeldArgs, PostgresHeldArgs } from "./postgres-held-args.js";
import { checkSchema, type MigrateResult, migrate } from "./postgres-schema.js";
import { POSTGRES } from "./postgres-sql.js";
import { redactUrl, splitSchema } from "./postgres-url.js";
import { ChainWriter } from "./postgres-writer.js";
import { checkpointValues, type Row, toCheckpoint, toRecord, toSession, toToken } from "./rows.js";
import {
  CHAINS_SQL,
  CHECKPOINTS_AFTER_SQL,
  CHECKPOINTS_SQL,
  GET_CURSOR_SQL,
  numbered,
  PUT_CURSOR_SQL,
  PUT_TOKEN_SQL,
  READ_CHAIN_SQL,
  REVOKE_TOKEN_SQL,
  recordQuery,
  SESSION_SQL,
  type SqlParam,
  sessionQuery,
  TOKEN_BY_HASH_SQL,
  TOKEN_NAMES_SQL,
  TOKENS_SQL,
  TOUCH_TOKEN_SQL,
  tokenParams,
} from "./sql.js";

export interface PostgresStoreOptions {
  /** Schema holding Warden's tables (default: `?schema=` in the URL, else `public`); created if missing. */
  schema?: string;
  /** Read only (verify, log, export): no migrations, no writer, no listener. */
  readonly?: boolean;
  /** Most pooled connections for reads, sessions and rate limits (default 10); plus one writer and one listener. */
  poolSize?: number;
  /** Server-side statement timeout, also used for lock waits (default 5000 ms). */
  statementTimeoutMs?: number;
  /** Connection timeout (default 5000 ms). */
  connectTimeoutMs?: number;
}

type Param = SqlParam | number[] | (string | null)[];

/** A shared statement (sql.ts) with PostgreSQL's numbered placeholders. */
const pgSql = (text: string): string => numbered(POSTGRES, text);

/**
 * A ledger in PostgreSQL, shared by several Warden instances. Each instance writes its own chain on a
 * dedicated connection holding that chain's advisory lock; reads, sessions and rate limits use a pool.
 *
 * @example
 * const store = await PostgresStore.open("postgres://warden@db/warden");
 * const chain = await store.claimChain(); // "node-1", or the next free one
 * await store.close();
 */
export class PostgresStore implements LedgerStore {
  /** The URL with its password redacted, for messages. */
  readonly url: string;
  readonly schema: string;
  readonly #pool: pg.Pool;
  readonly #writer: ChainWriter | null;
  readonly #feed: EventFeed | null;
  readonly #buckets: PostgresBuckets | null;
  /** Sealed arguments of pending approvals, shared by every instance (read-only opens read them only). */
  readonly heldArgs: PostgresHeldArgs;
  readonly callIds: PostgresCallIds;
  readonly #sessionsChannel: string;
  #closed = false;

  private constructor(url: string, schema: string, pool: pg.Pool, connect: PgConnectOptions | null) {
    this.url = url;
    this.schema = schema;
    this.#pool = pool;
    this.#writer = connect ? new ChainWriter(connect) : null;
    this.#feed = connect ? new EventFeed(connect) : null;
    this.#buckets = connect ? new PostgresBuckets(pool) : null;
    this.heldArgs = new PostgresHeldArgs(pool);
    this.callIds = new PostgresCallIds(pool);
    this.#sessionsChannel = channelName("sessions", schema);
  }

  static async open(db: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const shown = redactUrl(db);
    const { connectionString, schema } = splitSchema(db, options.schema);
    const connect: PgConnectOptions = {
      connectionString,
      schema,
      statementTimeoutMs: options.statementTimeoutMs ?? 5000,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      // The schema in the name lets an operator (or a test) find one Warden's connections in pg_stat_activity.
      applicationName: `warden/${schema}`.slice(0, 63),
    };
    const pool = new pg.Pool({
      ...clientConfig(connect),
      max: options.poolSize ?? 10,
      idleTimeoutMillis: 30_000,
    });
    // Idle clients that the server drops emit 'error' on the pool; the pool replaces them by itself.
    pool.on("error", () => undefined);
    // A checked-out client has no pool listener: a connection cut mid-transaction (pg_terminate_backend,
    // a server restart) would otherwise crash the process. The operation fails; release drops the client.
    pool.on("connect", (client) => client.on("error", () => undefined));
    const store = new PostgresStore(shown, schema, pool, options.readonly ? null : connect);
    try {
      const client = await pool.connect();
      try {
        if (options.readonly) await checkSchema(client);
        else {
          await migrate(client, schema);
          await ensureApprovalDecisions(client, schema);
          await ensureHeldArgs(client, schema);
          await ensureCallIds(client, schema);
        }
      } finally {
        client.release();
      }
      await store.#feed?.start();
      return store;
    } catch (err) {
      await store.close();
      throw toUnavailable(err, `opening the ledger database ${shown}`);
    }
  }

  /** Applies pending migrations (what `warden db migrate` runs); opening a writable store does it too. */
  static async migrate(
    db: string,
    options: { schema?: string } = {},
  ): Promise<MigrateResult & { schema: string }> {
    const { connectionString, schema } = splitSchema(db, options.schema);
    const connect = {
      connectionString,
      schema,
      statementTimeoutMs: 60_000,
      connectTimeoutMs: 5000,
      applicationName: "warden",
    };
    const client = new pg.Client(clientConfig(connect));
    client.on("error", () => undefined);
    try {
      await client.connect();
      return { ...(await migrate(client, schema)), schema };
    } catch (err) {
      throw toUnavailable(err, `migrating ${redactUrl(db)}`);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * Makes this store the only writer of `chain` (LEDGER_CHAIN_LOCKED if another process is), or, with no
   * name, of the first free chain of node-1, node-2, …; returns the chain's name.
   */
  async claimChain(chain?: string): Promise<string> {
    const writer = this.#requireWriter();
    try {
      if (chain !== undefined) {
        await writer.claim(chain);
        return chain;
      }
      return await writer.claimFirstFree("node-");
    } catch (err) {
      throw toUnavailable(err, "claiming a ledger chain");
    }
  }

  /**
   * Records the public key checkpoints are signed with. Every instance of one database must sign with
   * the same key, so that one public key verifies every chain: another key is LEDGER_KEY_MISMATCH.
   */
  async registerKey(keyId: string, publicKeySpkiBase64: string): Promise<void> {
    const rows = await this.#read("registering the signing key", async () => {
      const client = await this.#pool.connect();
      let failed: unknown;
      try {
        // Locked: two instances starting with different keys must not both register theirs.
        await client.query("BEGIN");
        await client.query("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE");
        await client.query(
          `INSERT INTO signing_keys (key_id, public_key) SELECT $1, $2
           WHERE NOT EXISTS (SELECT 1 FROM signing_keys) ON CONFLICT (key_id) DO NOTHING`,
          [keyId, publicKeySpkiBase64],
        );
        const res = await client.query<{ key_id: string }>("SELECT key_id FROM signing_keys");
        await client.query("COMMIT");
        return res.rows;
      } catch (err) {
        failed = err;
        await client.query("ROLLBACK").catch(() => undefined);
        throw err;
      } finally {
        client.release(failed instanceof Error ? failed : undefined);
      }
    });
    if (rows.some((r) => r.key_id !== keyId)) {
      throw new WardenError(
        "LEDGER_KEY_MISMATCH",
        "this database's checkpoints are signed with another key; every instance must use the same ledger.key",
      );
    }
  }

  /** Public keys (base64 SPKI DER) registered by the writers, oldest first. */
  async publicKeys(): Promise<string[]> {
    return this.#read("reading signing keys", async () => {
      const res = await this.#pool.query<{ public_key: string }>(
        "SELECT public_key FROM signing_keys ORDER BY added_at, key_id",
      );
      return res.rows.map((r) => r.public_key);
    });
  }

  /** Rate-limit buckets every instance shares (null when read-only). */
  get buckets(): SharedBuckets | null {
    return this.#buckets;
  }

  /** Session ends from every instance, via LISTEN/NOTIFY (null when read-only). */
  get sessionFeed(): SessionFeed | null {
    const feed = this.#feed;
    if (!feed) return null;
    return {
      subscribe: (listener) => feed.subscribe("sessions", listener),
      get live() {
        return feed.live;
      },
    };
  }

  append(chain: string, seal: Sealer): Promise<LedgerRecord[]> {
    const writer = this.#requireWriter();
    return writer
      .run(chain, async (client) => {
        await client.query("BEGIN");
        try {
          const records = await appendBatch(client, chain, seal, this.#sessionsChannel);
          await client.query("COMMIT");
          return records;
        } catch (err) {
          await client.query("ROLLBACK").catch(() => undefined);
          throw err;
        }
      })
      .catch((err: unknown) => {
        throw toUnavailable(err, "ledger append");
      });
  }

  async appendCheckpoint(c: Checkpoint): Promise<void> {
    await this.#read("checkpoint append", () => this.#pool.query(INSERT_CHECKPOINT, checkpointValues(c)));
  }

  async head(chain: string): Promise<ChainHead | null> {
    // One statement: the last record and the last checkpoint are read from one snapshot.
    const rows = await this.#rows("reading the chain head", HEAD_SQL, [chain]);
    return toHead(rows[0]);
  }

  async chains(): Promise<string[]> {
    return (await this.#rows("listing chains", CHAINS_SQL, [])).map((r) => String(r.chain));
  }

  async readChain(chain: string, fromSeq: number, limit: number): Promise<LedgerRecord[]> {
    return (await this.#rows("reading records", pgSql(READ_CHAIN_SQL), [chain, fromSeq, limit])).map(
      toRecord,
    );
  }

  async query(query: RecordQuery): Promise<LedgerRecord[]> {
    const q = normalizeQuery(query);
    if (q.kinds?.length === 0) return [];
    const { text, params } = recordQuery(POSTGRES, q);
    return (await this.#rows("querying records", text, params)).map(toRecord);
  }

  async checkpoints(chain: string): Promise<Checkpoint[]> {
    return (await this.#rows("reading checkpoints", pgSql(CHECKPOINTS_SQL), [chain])).map(toCheckpoint);
  }

  async checkpointsAfter(chain: string, afterSeq: number, limit: number): Promise<Checkpoint[]> {
    const rows = await this.#rows("reading checkpoints", pgSql(CHECKPOINTS_AFTER_SQL), [
      chain,
      afterSeq,
      limit,
    ]);
    return rows.map(toCheckpoint);
  }

  async session(id: string): Promise<SessionRow | null> {
    const [row] = await this.#rows("reading a session", pgSql(SESSION_SQL), [id]);
    return row ? toSession(row) : null;
  }

  async sessions(q: { agent?: string; active?: boolean; limit?: number }): Promise<SessionRow[]> {
    const { text, params } = sessionQuery(POSTGRES, q);
    return (await this.#rows("reading sessions", text, params)).map(toSession);
  }

  async putToken(t: TokenRow): Promise<void> {
    await this.#rows("token write", pgSql(PUT_TOKEN_SQL), tokenParams(t));
  }

  async tokens(): Promise<TokenRow[]> {
    return (await this.#rows("reading tokens", TOKENS_SQL, [])).map(toToken);
  }

  async touchToken(id: string, at: string): Promise<void> {
    await this.#rows("token use", pgSql(TOUCH_TOKEN_SQL), [at, id, at]);
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    return (await this.#rows("token revoke", pgSql(REVOKE_TOKEN_SQL), [at, id])).length > 0;
  }

  async tokenByHash(hash: string): Promise<TokenRow | null> {
    const [row] = await this.#rows("reading a token", pgSql(TOKEN_BY_HASH_SQL), [hash]);
    return row ? toToken(row) : null;
  }

  async tokenNames(): Promise<string[]> {
    return (await this.#rows("reading token names", TOKEN_NAMES_SQL, [])).map((r) => String(r.name));
  }

  async getCursor(sink: string, chain: string): Promise<number> {
    const [row] = await this.#rows("reading an export cursor", pgSql(GET_CURSOR_SQL), [sink, chain]);
    return row ? Number(row.seq) : 0;
  }

  async putCursor(sink: string, chain: string, seq: number): Promise<void> {
    await this.#rows("export cursor write", pgSql(PUT_CURSOR_SQL), [sink, chain, seq]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#buckets?.close();
    await this.#feed?.close();
    await this.#writer?.close();
    await this.#pool.end().catch(() => undefined);
  }

  #requireWriter(): ChainWriter {
    if (!this.#writer) throw new LedgerUnavailableError("the ledger was opened read-only");
    return this.#writer;
  }

  async #rows(op: string, sql: string, params: Param[]): Promise<Row[]> {
    return this.#read(op, async () => (await this.#pool.query<Row>(sql, params)).rows);
  }

  async #read<T>(op: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new LedgerUnavailableError("store closed");
    try {
      return await fn();
    } catch (err) {
      throw toUnavailable(err, op);
    }
  }
}
