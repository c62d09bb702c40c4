// Shapes the dashboard reads from the API (a subset of the server's types, as JSON).

export type Role = "approver" | "auditor" | "admin";
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Me {
  role: Role;
  name: string;
  csrf: string;
}

export interface LedgerRecord {
  v: 1;
  chain: string;
  seq: number;
  ts: string;
  kind: string;
  session: string | null;
  agent: string | null;
  callId: string | null;
  data: { [key: string]: Json };
  hash: string;
}

export interface ApprovalDecision {
  /** null for the timeout's "expire" entry. */
  approver: string | null;
  role: string | null;
  via: string;
  decision: "approve" | "deny" | "expire";
  reason: string | null;
  /** What a remembered approval lets through later: the rest of the session, or until a time. */
  remember: { scope: "session" } | { scope: "time"; until: string } | null;
  at: string;
}

export interface ApprovalView {
  id: string;
  callId: string;
  session: string;
  agent: string;
  onBehalfOf: string;
  intent: string;
  tool: string;
  args: Json;
  redacted: string[];
  rationale: string | null;
  ruleId: string;
  reason: string;
  digest: string;
  status: "pending" | "approved" | "denied" | "expired" | "closed";
  required: number;
  /** Why a pending approval is closed (its session ended). */
  closed: { at: string; reason: string } | null;
  /** While pending: whether the process that waits to run the call is still there. */
  callerState: { state: "running" | "gone" | "unknown"; text: string } | null;
  /** What remembering it lets through, in words, per choice of the decision form. */
  scope: { covers: string; once: string; session: string; "1h": string };
  decisions: ApprovalDecision[];
  createdAt: string;
  expiresAt: string;
  /**
   * The arguments with the policy's redacted values in clear, for a decider while pending (the ledger
   * keeps digests); null for anyone else, or once decided.
   */
  heldArgs?: { state: "held"; args: Json; until: string } | { state: "unreadable"; message: string } | null;
}

export interface PreviousCall {
  callId: string | null;
  tool: string;
  effect: string | null;
  enforced: string | null;
  ruleId: string | null;
  rationale: string | null;
  ts: string;
}

export interface SessionRow {
  id: string;
  agent: string;
  onBehalfOf: string;
  intent: string;
  parent: string | null;
  startedAt: string;
  endedAt: string | null;
  endReason: string | null;
}

export interface AgentActivity {
  calls: number;
  denials: number;
  asks: number;
  lastSeen: string | null;
  capped: boolean;
}

export interface AgentEntry {
  name: string;
  registered: boolean;
  team: string | null;
  developer: string | null;
  description: string | null;
  tools: string[] | null;
  activity: AgentActivity;
}

export interface CallSummary {
  callId: string | null;
  session: string | null;
  tool: string;
  effect: string;
  enforced: string;
  ruleId: string;
  reason: string;
  ts: string;
}

export interface AccountabilityChain {
  callId: string;
  user: string;
  userVerified?: { issuer: string; subject: string } | null;
  agents: {
    name: string;
    team: string | null;
    developer: string | null;
    session: string;
    intent: string | null;
  }[];
  tool: string;
  args: Json;
  redacted: string[];
  rationale: string | null;
  decision: { effect: string; enforced: string; ruleId: string; reason: string };
  mode: string;
  policyDigest: string;
  approval?: { id: string; status: string } | null;
  approvals: { approver: string | null; decision: string | null; via?: string | null; at: string }[];
  outcome: { status: string; durationMs: number | null; error: string | null; at: string } | null;
  decidedAt: string;
}

export interface Verification {
  at: string;
  durationMs: number;
  ok: boolean;
  records: number;
  checkpoints: number;
  keySource: string;
  failure: { chain: string | null; seq: number | null; problem: string; message: string } | null;
}

export interface ChainIntegrity {
  chain: string;
  head: { seq: number; hash: string; ts: string | null } | null;
  checkpoint: { seq: number; hash: string; ts: string; keyId: string } | null;
}

export interface AlertView {
  chain: string;
  seq: number;
  ts: string;
  severity: string;
  detector: string;
  type: string;
  action: string | null;
  message: string;
  agent: string | null;
  session: string | null;
  callIds: string[];
  tool: string | null;
  score: number | null;
}

export interface RangeSegment {
  chain: string;
  from: number;
  through: number;
  anchoredAt: number;
  state: "sealed" | "unsealed" | "failed" | "unchecked";
}

/** The server verifier's verdict on the stretches of the ledger a page of records lies in. */
export interface RangeVerification {
  state: "sealed" | "unsealed" | "failed" | "unchecked" | "empty";
  segments: RangeSegment[];
  records: number;
  failure: { chain: string | null; seq: number | null; problem: string; message: string } | null;
  keySource: string;
}

export interface RecordsPage {
  records: LedgerRecord[];
  next: string | null;
  verification: RangeVerification | null;
}
