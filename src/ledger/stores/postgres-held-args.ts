// The PostgreSQL approval_args table: sealed arguments of pending approvals, shared by every instance.
import type pg from "pg";
import type { HeldArgsRow, HeldArgsTable } from "../types.js";
import { toUnavailable } from "./common.js";
import { ensureSideTable } from "./postgres-schema.js";

const TABLE = `CREATE TABLE IF NOT EXISTS approval_args (
  approval_id text PRIMARY KEY,
  session text NOT NULL,
  expires_at text NOT NULL,
  sealed text NOT NULL
);
CREATE INDEX IF NOT EXISTS approval_args_session ON approval_args (session);
CREATE INDEX IF NOT EXISTS approval_args_expiry ON approval_args (expires_at);`;

/** Idempotent; instances starting together take turns (ensureSideTable). */
export async function ensureHeldArgs(client: pg.ClientBase, schema: string): Promise<void> {
  await ensureSideTable(client, schema, "approval_args", async () => {
    await client.query(TABLE);
  });
}

interface Row {
  approval_id: string;
  session: string;
  expires_at: string;
  sealed: string;
}

export class PostgresHeldArgs implements HeldArgsTable {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async put(row: HeldArgsRow): Promise<void> {
    await this.#query(
      "holding approval arguments",
      `INSERT INTO approval_args (approval_id, session, expires_at, sealed) VALUES ($1, $2, $3, $4)
       ON CONFLICT (approval_id) DO UPDATE SET session = excluded.session, expires_at = excluded.expires_at,
       sealed = excluded.sealed`,
      [row.approvalId, row.session, row.expiresAt, row.sealed],
    );
  }

  async get(approvalId: string, now: string): Promise<HeldArgsRow | null> {
    const res = await this.#query(
      "reading approval arguments",
      "SELECT approval_id, session, expires_at, sealed FROM approval_args WHERE approval_id = $1 AND expires_at > $2",
      [approvalId, now],
    );
    const row = res.rows[0];
    return row
      ? { approvalId: row.approval_id, session: row.session, expiresAt: row.expires_at, sealed: row.sealed }
      : null;
  }

  async delete(approvalId: string): Promise<void> {
    await this.#query("deleting approval arguments", "DELETE FROM approval_args WHERE approval_id = $1", [
      approvalId,
    ]);
  }

  async deleteSession(session: string): Promise<void> {
    await this.#query("deleting approval arguments", "DELETE FROM approval_args WHERE session = $1", [
      session,
    ]);
  }

  async deleteExpired(now: string): Promise<number> {
    const res = await this.#query(
      "deleting approval arguments",
      "DELETE FROM approval_args WHERE expires_at <= $1",
      [now],
    );
    return res.rowCount ?? 0;
  }

  async #query(op: string, sql: string, params: string[]): Promise<pg.QueryResult<Row>> {
    try {
      return await this.#pool.query<Row>(sql, params);
    } catch (err) {
      throw toUnavailable(err, op);
    }
  }
}
