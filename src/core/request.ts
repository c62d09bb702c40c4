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

/** What an in-process tool gets besides its arguments (see `session.guardWithContext`). */
export interface ToolContext {
  callId: string;
  /** Secrets the policy injects as `context`, by their `inject.context` key; never shown to the model. */
  secrets: Readonly<Record<string, string>>;
  /** `fetch` limited to the policy's `egress:` allowlist (private and metadata addresses refused). */
  fetch: (input: string | URL, init?: RequestInit) => Promise<Response>;
  /** Aborted when the call is stopped (its session ended): the result will not be used, stop working. */
  signal: AbortSignal;
}

/** What a sandboxed command tool returns (output with handed-out secrets masked). */
export interface CommandResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** Why Warden stopped it: timeout, output_limit, violation, … */
  killed: string | null;
}

export type Outcome =
  | { status: "ok"; result?: unknown; durationMs?: number }
  | { status: "error"; error?: unknown; durationMs?: number };
