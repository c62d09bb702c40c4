// The PostgreSQL approval_decisions table: created on a writable open, claimed inside each append.
import type pg from "pg";
import type { LedgerRecord } from "../types.js";
import {
  APPROVAL_DECISIONS_TABLE,
  backfillClaims,
  claimDecision,
  decidedApproval,
} from "./approval-decisions.js";
import { APPROVAL_KINDS_SQL } from "./common.js";
import { ensureSideTable } from "./postgres-schema.js";
import { RECORD_COLUMNS, type Row, toRecord } from "./rows.js";

const INSERT =
  "INSERT INTO approval_decisions (approval_id, position, approver, final) VALUES ($1, $2, $3, $4)";

/**
 * Runs in the append's transaction. A transaction-scoped advisory lock per approval makes instances
 * that decide one approval at once take turns, and the one that waited reads the decision that won
 * (READ COMMITTED: each statement sees what committed before it). The primary key is the backstop.
 */
export async function claimDecisions(client: pg.ClientBase, records: readonly LedgerRecord[]): Promise<void> {
  for (const r of records) {
    const id = decidedApproval(r);
    if (id === null) continue;
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended('warden.approval/' || $1, 0))", [id]);
    const rows = await client.query<{ approver: string | null; final: number }>(
      "SELECT approver, final FROM approval_decisions WHERE approval_id = $1 ORDER BY position",
      [id],
    );
    const claim = claimDecision(
      r,
      rows.rows.map((row) => ({ approver: row.approver, final: Number(row.final) === 1 })),
    )!;
    await client.query(INSERT, [claim.approvalId, claim.position, claim.approver, claim.final ? 1 : 0]);
  }
}

/** Idempotent; instances starting together take turns (ensureSideTable); claims are backfilled from the records. */
export async function ensureApprovalDecisions(client: pg.ClientBase, schema: string): Promise<void> {
  await ensureSideTable(client, schema, "approval_decisions", async () => {
    await client.query(APPROVAL_DECISIONS_TABLE);
    const records = (
      await client.query<Row>(
        `SELECT ${RECORD_COLUMNS} FROM records WHERE ${APPROVAL_KINDS_SQL} ORDER BY ts, chain, seq`,
      )
    ).rows.map(toRecord);
    const required = new Map<string, number>();
    for (const r of records) {
      if (r.kind === "approval.request" && typeof r.data.approvalId === "string") {
        required.set(r.data.approvalId, typeof r.data.required === "number" ? r.data.required : 1);
      }
    }
    for (const c of backfillClaims(records, (id) => required.get(id) ?? 1)) {
      await client.query(INSERT, [c.approvalId, c.position, c.approver, c.final ? 1 : 0]);
    }
  });
}
