// The SQLite approval_args table: sealed arguments of pending approvals, in the ledger's file but not in its records.
import type { Database } from "better-sqlite3";
import type { HeldArgsRow, HeldArgsTable } from "../types.js";
import { toUnavailable } from "./common.js";

const TABLE = `CREATE TABLE IF NOT EXISTS approval_args (
  approval_id TEXT PRIMARY KEY,
  session TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  sealed TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS approval_args_session ON approval_args (session);
CREATE INDEX IF NOT EXISTS approval_args_expiry ON approval_args (expires_at);`;

/** Idempotent; created on a writable open, outside the schema version (it holds no ledger state). */
export function ensureHeldArgs(db: Database): void {
  db.exec(TABLE);
}

interface Row {
  approval_id: string;
  session: string;
  expires_at: string;
  sealed: string;
}

export class SqliteHeldArgs implements HeldArgsTable {
  readonly #put;
  readonly #get;
  readonly #delete;
  readonly #deleteSession;
  readonly #deleteExpired;

  constructor(db: Database) {
    this.#put = db.prepare(
      "INSERT OR REPLACE INTO approval_args (approval_id, session, expires_at, sealed) VALUES (?, ?, ?, ?)",
    );
    this.#get = db.prepare("SELECT * FROM approval_args WHERE approval_id = ? AND expires_at > ?");
    this.#delete = db.prepare("DELETE FROM approval_args WHERE approval_id = ?");
    this.#deleteSession = db.prepare("DELETE FROM approval_args WHERE session = ?");
    this.#deleteExpired = db.prepare("DELETE FROM approval_args WHERE expires_at <= ?");
  }

  async put(row: HeldArgsRow): Promise<void> {
    run("holding approval arguments", () =>
      this.#put.run(row.approvalId, row.session, row.expiresAt, row.sealed),
    );
  }

  async get(approvalId: string, now: string): Promise<HeldArgsRow | null> {
    const row = run("reading approval arguments", () => this.#get.get(approvalId, now) as Row | undefined);
    return row
      ? { approvalId: row.approval_id, session: row.session, expiresAt: row.expires_at, sealed: row.sealed }
      : null;
  }

  async delete(approvalId: string): Promise<void> {
    run("deleting approval arguments", () => this.#delete.run(approvalId));
  }

  async deleteSession(session: string): Promise<void> {
    run("deleting approval arguments", () => this.#deleteSession.run(session));
  }

  async deleteExpired(now: string): Promise<number> {
    return run("deleting approval arguments", () => this.#deleteExpired.run(now).changes);
  }
}

function run<T>(op: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toUnavailable(err, op);
  }
}
