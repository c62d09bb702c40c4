// Creates the SQLite approval_decisions table on a writable open, filled from the decisions already recorded.
import type { Database } from "better-sqlite3";
import { APPROVAL_DECISIONS_TABLE, backfillClaims } from "./approval-decisions.js";
import { APPROVAL_KINDS_SQL } from "./common.js";
import { RECORD_COLUMNS, type Row, toRecord } from "./rows.js";

/** Idempotent; BEGIN IMMEDIATE serializes two processes opening the file at once. */
export function ensureApprovalDecisions(db: Database): void {
  const exists = () =>
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'approval_decisions'").get();
  if (exists()) return;
  db.transaction(() => {
    if (exists()) return;
    db.exec(`${APPROVAL_DECISIONS_TABLE} STRICT;`);
    const records = (
      db
        .prepare(`SELECT ${RECORD_COLUMNS} FROM records WHERE ${APPROVAL_KINDS_SQL} ORDER BY ts, chain, seq`)
        .all() as Row[]
    ).map(toRecord);
    const required = new Map<string, number>();
    for (const r of records) {
      if (r.kind === "approval.request" && typeof r.data.approvalId === "string") {
        required.set(r.data.approvalId, typeof r.data.required === "number" ? r.data.required : 1);
      }
    }
    const insert = db.prepare(
      "INSERT INTO approval_decisions (approval_id, position, approver, final) VALUES (?, ?, ?, ?)",
    );
    for (const c of backfillClaims(records, (id) => required.get(id) ?? 1)) {
      insert.run(c.approvalId, c.position, c.approver, c.final ? 1 : 0);
    }
  }).immediate();
}
