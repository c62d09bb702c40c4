// The shapes a tool call takes through the gate: the request, the decision, the outcome.
import type { Effect, Mode } from "../policy/index.js";

/** One tool call as every entry point (library, HTTP, MCP, adapters) hands it to the gate. */
export interface ToolCallRequest {
  session: string;
  tool: string;
  /** JSON arguments; absent means {}. */
  args?: unknown;
  /** The model's stated reason for this call, stored with the intent record. */
  rationale?: string | null;
  /** A caller-chosen id (e.g. the model's tool-call id); generated when absent. */
  callId?: string | null;
  /** W3C `traceparent` of the caller's span, recorded so exported spans join the agent's trace. */
  traceparent?: string | null;
}

/** What the gate decided, and what it will act on. */
export interface GateDecision {
  callId: string;
  session: string;
  tool: string;
  /** The policy's verdict. */
  effect: Effect;
  /** What happens: equals `effect` in enforce mode, always "allow" in monitor mode. */
  enforced: Effect;
  ruleId: string;
  reason: string;
  mode: Mode;
  policyDigest: string;
  /** Set when a rate limit turned the call into a deny. */
  code: "RATE_LIMITED" | null;
  retryAfterMs: number | null;
  /** Argument paths the ledger holds only as digests. */
  redacted: string[];
  /**
   * For an `ask`: the pending approval the call waits for (`enforced` stays "ask" until it is decided),
   * or the remembered approval that let it through (`enforced` "allow").
   */
  approval: ApprovalRef | null;
}

export interface ApprovalRef {
  id: string;
  status: "pending" | "remembered";
  /** Pending only: the deadline, the digest approvers see, and how many must approve. */
  expiresAt: string | null;
  digest: string | null;
  required: number | null;
}

export type Outcome =
  | { status: "ok"; result?: unknown; durationMs?: number }
  | { status: "error"; error?: unknown; durationMs?: number };
