// One approval as the ledger tells it: the request record, then the decision records, folded into a state.
import type { JsonValue } from "../json.js";
import { type ApprovalRequestData, type LedgerRecord, parseRecord } from "../ledger/index.js";
import { personKey } from "../people.js";
import type { CallerProcess, CallerState } from "./caller.js";
import { type ScopeWords, scopeWords } from "./scope-words.js";

/** "closed": still pending in the ledger, but its session ended, so it takes no decision and nothing runs. */
export type ApprovalStatus = "pending" | "approved" | "denied" | "expired" | "closed";
export type RememberScope = { scope: "session" } | { scope: "time"; until: string };

export interface ApprovalDecisionView {
  approver: string | null;
  role: string | null;
  /** How the decision arrived: dashboard, api, cli, webhook:<integration>, timeout. */
  via: string;
  decision: "approve" | "deny" | "expire";
  reason: string | null;
  remember: RememberScope | null;
  at: string;
}

/** What approvers see and what the waiting call is bound to. */
export interface ApprovalView {
  id: string;
  callId: string;
  session: string;
  agent: string;
  onBehalfOf: string;
  intent: string;
  tool: string;
  /** As recorded: redacted fields hold `sha256:` digests. */
  args: JsonValue;
  redacted: string[];
  rationale: string | null;
  ruleId: string;
  reason: string;
  policy: string;
  digest: string;
  status: ApprovalStatus;
  required: number;
  /** Who may approve: `role:<role>` entries and token-name globs. */
  by: string[];
  selfApproval: boolean;
  /** The process that asked and would run the tool; null: a caller that runs it itself (HTTP). */
  caller: CallerProcess | null;
  /** While pending: whether that caller is still there, in words (see Approvals.current). */
  callerState: CallerState | null;
  /** Why a pending approval is closed: its session ended (when, and the session's end reason). */
  closed: { at: string; reason: string } | null;
  /** The agent's developer, who may not approve (approvals.excludeDeveloper); null: no one excluded. */
  developer: string | null;
  rememberKey: string;
  /** The argument fields a remembered approval is keyed on; null: the exact arguments. */
  rememberPaths: string[] | null;
  /** What remembering it would let through, per choice, in words (shown before the approver chooses). */
  scope: ScopeWords;
  decisions: ApprovalDecisionView[];
  createdAt: string;
  expiresAt: string;
}

/** The `approval.request` record's data for a new approval. */
export function requestData(
  view: Omit<
    ApprovalView,
    "status" | "decisions" | "createdAt" | "callId" | "session" | "agent" | "scope" | "callerState" | "closed"
  >,
): ApprovalRequestData {
  return {
    approvalId: view.id,
    digest: view.digest,
    tool: view.tool,
    args: view.args,
    redacted: view.redacted,
    rationale: view.rationale,
    intent: view.intent,
    onBehalfOf: view.onBehalfOf,
    ruleId: view.ruleId,
    reason: view.reason,
    policy: view.policy,
    required: view.required,
    by: view.by,
    selfApproval: view.selfApproval,
    developer: view.developer,
    caller: view.caller === null ? null : { ...view.caller },
    rememberKey: view.rememberKey,
    rememberPaths: view.rememberPaths,
    expiresAt: view.expiresAt,
  };
}

/** Reads an `approval.request` record back; null for a malformed one (its schema says, see ledger/records). */
export function fromRequestRecord(record: LedgerRecord): ApprovalView | null {
  const read = parseRecord(record, "approval.request");
  if (!read.ok) return null;
  const d = read.record.data;
  const rememberPaths = d.rememberPaths ?? null;
  return {
    id: d.approvalId,
    callId: record.callId ?? "",
    session: record.session ?? "",
    agent: record.agent ?? "",
    onBehalfOf: d.onBehalfOf,
    intent: d.intent,
    tool: d.tool,
    args: d.args,
    redacted: d.redacted,
    rationale: d.rationale,
    ruleId: d.ruleId,
    reason: d.reason,
    policy: d.policy,
    digest: d.digest,
    status: "pending",
    required: d.required,
    by: d.by,
    selfApproval: d.selfApproval,
    developer: d.developer ?? null,
    caller: d.caller ?? null,
    callerState: null,
    closed: null,
    rememberKey: d.rememberKey,
    rememberPaths,
    scope: scopeWords(d.tool, d.args, rememberPaths),
    decisions: [],
    createdAt: record.ts,
    expiresAt: d.expiresAt,
  };
}

/** Reads an `approval.decision` record back; null for a malformed one. */
export function fromDecisionRecord(
  record: LedgerRecord,
): { approvalId: string; decision: ApprovalDecisionView } | null {
  const read = parseRecord(record, "approval.decision");
  if (!read.ok) return null;
  const d = read.record.data;
  return {
    approvalId: d.approvalId,
    decision: {
      approver: d.approver,
      role: d.role,
      via: d.via,
      decision: d.decision,
      reason: d.reason,
      remember: d.remember,
      at: record.ts,
    },
  };
}

/**
 * The status the decisions so far give: one deny denies; an expiry (or the deadline passing) expires a
 * still-pending approval; `required` different approvers approve it.
 */
export function statusOf(view: ApprovalView, now: number): ApprovalStatus {
  let approvers = 0;
  const seen = new Set<string>();
  for (const d of view.decisions) {
    if (d.decision === "deny") return "denied";
    if (d.decision === "expire") return "expired";
    // People are counted by personKey: "Alice", "alice" and a Cyrillic "аlice" are one approver.
    const who = d.approver === null ? null : personKey(d.approver);
    if (who !== null && !seen.has(who)) {
      seen.add(who);
      approvers++;
      if (approvers >= view.required) return "approved";
    }
  }
  return now >= Date.parse(view.expiresAt) ? "expired" : "pending";
}

/**
 * What an approved approval lets later calls skip asking for: the narrowest choice among its
 * approvers (one "once" means nothing is remembered). A denial is never remembered.
 */
export function grantOf(view: ApprovalView): RememberScope | null {
  if (view.status !== "approved") return null;
  let narrowest: RememberScope | null = null;
  for (const d of view.decisions) {
    if (d.decision !== "approve") continue;
    if (d.remember === null) return null;
    if (narrowest === null || narrower(d.remember, narrowest)) narrowest = d.remember;
  }
  return narrowest;
}

function narrower(a: RememberScope, b: RememberScope): boolean {
  if (a.scope === "session") return b.scope === "time";
  return b.scope === "time" && a.until < b.until;
}
