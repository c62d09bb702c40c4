// The PostgreSQL call_ids table: caller-chosen call ids, claimed once by whichever instance asks first.
import type pg from "pg";
import type { CallIdClaims } from "../types.js";
import { toUnavailable } from "./common.js";
import { ensureSideTable } from "./postgres-schema.js";

const TABLE = `CREATE TABLE IF NOT EXISTS call_ids (
  call_id text PRIMARY KEY,
  claimed_at text NOT NULL
);`;

/** Idempotent; instances starting together take turns (ensureSideTable). */
export async function ensureCallIds(client: pg.ClientBase, schema: string): Promise<void> {
  await ensureSideTable(client, schema, "call_ids", async () => {
    await client.query(TABLE);
  });
}

export class PostgresCallIds implements CallIdClaims {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async claim(callId: string, at: string): Promise<boolean> {
    const res = await this.#query(
      "claiming a call id",
      "INSERT INTO call_ids (call_id, claimed_at) VALUES ($1, $2) ON CONFLICT (call_id) DO NOTHING",
      [callId, at],
    );
    return res.rowCount === 1;
  }

  async release(callId: string): Promise<void> {
    await this.#query("releasing a call id", "DELETE FROM call_ids WHERE call_id = $1", [callId]);
  }

  async #query(op: string, sql: string, params: unknown[]) {
    try {
      return await this.#pool.query(sql, params);
    } catch (err) {
      throw toUnavailable(err, op);
    }
  }
}
