// Shared token buckets in PostgreSQL: the takes of one moment share one transaction, rows locked in key order.
import type pg from "pg";
import type { BucketResult, BucketTake, SharedBuckets } from "../types.js";
import { toUnavailable } from "./common.js";

interface Pending {
  buckets: BucketTake[];
  resolve: (r: BucketResult) => void;
  reject: (err: Error) => void;
}

interface Row {
  key: string;
  tokens: number;
  at_ms: number;
  now_ms: number;
}

// New buckets start full; the database clock stamps them so instances with skewed clocks agree.
const INSERT = `INSERT INTO rate_buckets (key, tokens, at_ms, burst, per_ms)
  SELECT k, b, extract(epoch FROM clock_timestamp()) * 1000, b, p
  FROM unnest($1::text[], $2::float8[], $3::float8[]) AS u(k, b, p) ORDER BY k
  ON CONFLICT (key) DO NOTHING`;
// ORDER BY before FOR UPDATE: rows are locked in key order, so two instances never deadlock.
const LOCK = `SELECT key, tokens, at_ms, extract(epoch FROM clock_timestamp()) * 1000 AS now_ms
  FROM rate_buckets WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE`;
const UPDATE = `UPDATE rate_buckets AS r SET tokens = u.t, at_ms = u.a
  FROM unnest($1::text[], $2::float8[], $3::float8[]) AS u(k, t, a) WHERE r.key = u.k`;
const REFUND = `UPDATE rate_buckets SET tokens = least(burst, tokens + 1) WHERE key = ANY($1::text[])`;
// A full bucket holds nothing a fresh one would not: dropping it loses no state.
const SWEEP = `DELETE FROM rate_buckets
  WHERE tokens + greatest(0, extract(epoch FROM clock_timestamp()) * 1000 - at_ms) * per_ms >= burst`;

/**
 * Takes are exact across instances: a bucket's row is locked while its tokens are counted, so no
 * limit is exceeded however many instances share it. Takes arriving while a transaction is in flight
 * wait for the next one, as ledger appends do, so the cost is about one transaction per moment, not per call.
 */
export class PostgresBuckets implements SharedBuckets {
  readonly #pool: pg.Pool;
  #queue: Pending[] = [];
  #flushing = false;
  readonly #sweep: NodeJS.Timeout;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
    this.#sweep = setInterval(() => {
      this.#pool.query(SWEEP).catch(() => undefined);
    }, 60_000);
    this.#sweep.unref();
  }

  take(buckets: BucketTake[]): Promise<BucketResult> {
    if (buckets.length === 0) return Promise.resolve({ ok: true });
    return new Promise((resolve, reject) => {
      this.#queue.push({ buckets, resolve, reject });
      if (!this.#flushing) setImmediate(() => void this.#flush());
    });
  }

  async refund(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      await this.#pool.query(REFUND, [[...keys].sort()]);
    } catch (err) {
      throw toUnavailable(err, "rate limit refund");
    }
  }

  close(): void {
    clearInterval(this.#sweep);
  }

  async #flush(): Promise<void> {
    if (this.#flushing || this.#queue.length === 0) return;
    this.#flushing = true;
    const batch = this.#queue.splice(0, 1024);
    try {
      const results = await this.#takeAll(batch.map((p) => p.buckets));
      for (const [i, p] of batch.entries()) p.resolve(results[i]!);
    } catch (err) {
      const e = toUnavailable(err, "rate limit check");
      for (const p of batch) p.reject(e);
    } finally {
      this.#flushing = false;
    }
    if (this.#queue.length > 0) setImmediate(() => void this.#flush());
  }

  async #takeAll(calls: BucketTake[][]): Promise<BucketResult[]> {
    const specs = new Map<string, BucketTake>();
    for (const call of calls) for (const b of call) specs.set(b.key, b);
    const keys = [...specs.keys()].sort();
    const client = await this.#pool.connect();
    let broken: unknown;
    try {
      await client.query("BEGIN");
      await client.query(INSERT, [
        keys,
        keys.map((k) => specs.get(k)!.burst),
        keys.map((k) => specs.get(k)!.perMs),
      ]);
      const rows = (await client.query<Row>(LOCK, [keys])).rows;
      const state = new Map<string, number>();
      let now = 0;
      for (const r of rows) {
        const spec = specs.get(r.key)!;
        now = Number(r.now_ms);
        // A clock that steps back must not mint tokens, nor take them away.
        const elapsed = Math.max(0, now - Number(r.at_ms));
        state.set(r.key, Math.min(spec.burst, Number(r.tokens) + elapsed * spec.perMs));
      }
      const results = calls.map((call) => takeOne(call, state));
      await client.query(UPDATE, [keys, keys.map((k) => state.get(k) ?? 0), keys.map(() => now)]);
      await client.query("COMMIT");
      return results;
    } catch (err) {
      broken = err;
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release(broken instanceof Error ? broken : undefined);
    }
  }
}

/** Checks every bucket first, then takes: a refusal spends no token. */
function takeOne(call: BucketTake[], state: Map<string, number>): BucketResult {
  for (const [index, b] of call.entries()) {
    const tokens = state.get(b.key) ?? 0;
    if (tokens < 1) return { ok: false, index, retryAfterMs: Math.max(1, Math.ceil((1 - tokens) / b.perMs)) };
  }
  for (const b of call) state.set(b.key, (state.get(b.key) ?? 0) - 1);
  return { ok: true };
}
