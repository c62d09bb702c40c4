// One decision per approval, enforced where records are written: each `approval.decision` claims the
// next position of its approval in the approval_decisions table, inside the transaction that appends
// it, so the first final decision in the ledger wins across processes and instances.
import { WardenError } from "../../errors.js";
import type { JsonValue } from "../../json.js";
import { personKey } from "../../people.js";
import type { LedgerRecord } from "../types.js";

/**
 * A view of the ledger's decision records, not hashed. Created when a writable store opens (not as a
 * numbered schema step: it only ever gains rows). Positions are dense per approval, so two writers that
 * read the same earlier decisions collide on the primary key even without a lock; one person once.
 */
export const APPROVAL_DECISIONS_TABLE = `CREATE TABLE IF NOT EXISTS approval_decisions (
  approval_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  approver TEXT,
  final INTEGER NOT NULL,
  PRIMARY KEY (approval_id, position),
  UNIQUE (approval_id, approver)
)`;

export interface DecisionRow {
  approver: string | null;
  final: boolean;
}

export interface DecisionClaim {
  approvalId: string;
  position: number;
  /** The approver's name as compared (see personKey); null for an expiry. */
  approver: string | null;
  final: boolean;
}

/** The approval a record decides, or null for any other record. */
export function decidedApproval(r: LedgerRecord): string | null {
  return r.kind === "approval.decision" && typeof r.data.approvalId === "string" ? r.data.approvalId : null;
}

/**
 * The row a decision record adds after `earlier` (the approval's rows so far, by position), or why it
 * may not be recorded: after the final decision (APPROVAL_CLOSED), a second answer from one person
 * (APPROVAL_CLOSED), an answer sealed at or after the deadline (APPROVAL_EXPIRED). A deny or an expiry
 * is final, and so is the approval that reaches the required count.
 */
export function claimDecision(
  r: LedgerRecord,
  earlier: readonly DecisionRow[],
  requiredFallback = 1,
): DecisionClaim | null {
  const approvalId = decidedApproval(r);
  if (approvalId === null) return null;
  const d = r.data;
  if (earlier.some((row) => row.final)) {
    throw new WardenError("APPROVAL_CLOSED", `approval ${approvalId} already has its final decision`);
  }
  const approver = typeof d.approver === "string" ? personKey(d.approver) : null;
  if (approver !== null && earlier.some((row) => row.approver === approver)) {
    throw new WardenError("APPROVAL_CLOSED", `${d.approver} has already decided approval ${approvalId}`);
  }
  if (d.decision !== "expire" && typeof d.expiresAt === "string" && r.ts >= d.expiresAt) {
    throw new WardenError("APPROVAL_EXPIRED", `approval ${approvalId} expired at ${d.expiresAt}`);
  }
  const required = positiveInt(d.required) ?? requiredFallback;
  const final = d.decision !== "approve" || earlier.length + 1 >= required;
  return { approvalId, position: earlier.length, approver, final };
}

/**
 * The rows for decisions recorded before the table existed, in the order given (oldest first). A
 * decision the rules would now refuse (after the final one, a person's second answer) gets no row.
 */
export function backfillClaims(
  decisions: readonly LedgerRecord[],
  requiredOf: (approvalId: string) => number,
): DecisionClaim[] {
  const rows = new Map<string, DecisionRow[]>();
  const out: DecisionClaim[] = [];
  for (const r of decisions) {
    const id = decidedApproval(r);
    if (id === null) continue;
    const earlier = rows.get(id) ?? [];
    let claim: DecisionClaim | null;
    try {
      // Old records carry no deadline check worth repeating: they were accepted when written.
      claim = claimDecision({ ...r, data: { ...r.data, expiresAt: null } }, earlier, requiredOf(id));
    } catch {
      continue;
    }
    if (claim === null) continue;
    earlier.push({ approver: claim.approver, final: claim.final });
    rows.set(id, earlier);
    out.push(claim);
  }
  return out;
}

function positiveInt(v: JsonValue | undefined): number | null {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 1 ? v : null;
}
