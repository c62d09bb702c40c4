// The SQLite call_ids table: caller-chosen call ids, claimed once by whichever process on the file asks first.
import type { Database } from "better-sqlite3";
import type { CallIdClaims } from "../types.js";
import { toUnavailable } from "./common.js";

const TABLE = `CREATE TABLE IF NOT EXISTS call_ids (
  call_id TEXT PRIMARY KEY,
  claimed_at TEXT NOT NULL
) STRICT;`;

/** Idempotent; created on a writable open, outside the schema version (the records stay the truth). */
export function ensureCallIds(db: Database): void {
  db.exec(TABLE);
}

export class SqliteCallIds implements CallIdClaims {
  readonly #db: Database;
  readonly #claim;
  readonly #release;

  constructor(db: Database) {
    this.#db = db;
    this.#claim = db.prepare("INSERT OR IGNORE INTO call_ids (call_id, claimed_at) VALUES (?, ?)");
    this.#release = db.prepare("DELETE FROM call_ids WHERE call_id = ?");
  }

  async claim(callId: string, at: string): Promise<boolean> {
    // Not fsynced on its own: the intent's commit, which must follow, carries it to disk; a crash
    // before that loses the claim with the intent, and nothing else.
    return this.#relaxed("claiming a call id", () => this.#claim.run(callId, at).changes === 1);
  }

  async release(callId: string): Promise<void> {
    this.#relaxed("releasing a call id", () => this.#release.run(callId));
  }

  #relaxed<T>(op: string, fn: () => T): T {
    try {
      this.#db.pragma("synchronous = NORMAL");
      try {
        return fn();
      } finally {
        // Appends are durable only at FULL: this must run whatever happened above.
        this.#db.pragma("synchronous = FULL");
      }
    } catch (err) {
      throw toUnavailable(err, op);
    }
  }
}
