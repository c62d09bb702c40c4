// The shapes a tool call takes through the gate: the request, the decision, the outcome.
import type { WardenError } from "../errors.js";
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

/**
 * Who runs the tool once the gate allows it: this process (`here`: `run`, `guard`), its sandbox
 * (`sandbox`: `command`, the only way a command tool is allowed), the program that asked (`caller`:
 * `check`, then `recordOutcome`, or `runChecked`, which makes it `here`: MCP, the adapters), or the
 * caller's own process (`remote`: HTTP agents, so no process here waits on an approval). Only a
 * `caller` call's outcome is reported through the library, only a `remote` one's over HTTP: the
 * others' records come from the run itself.
 */
export type ToolRunner = "here" | "sandbox" | "caller" | "remote";

/** Who reports the outcome of a call its caller ran itself: the program (`caller`) or an HTTP agent (`remote`). */
export type OutcomeReporter = Extract<ToolRunner, "caller" | "remote">;

/** What every decision tells, whatever its outcome. */
export interface DecisionFacts {
  callId: string;
  session: string;
  tool: string;
  /** The policy's verdict (after limits and detectors). */
  effect: Effect;
  ruleId: string;
  reason: string;
  mode: Mode;
  policyDigest: string;
  /** Argument paths the ledger holds only as digests. */
  redacted: string[];
}

/**
 * A limit that turned the call into a deny (in monitor mode: would have): a rate limit, with the wait, or
 * approvals.maxPendingPerSession (an ask while the session had that many approvals pending); or none.
 */
export type LimitRefusal =
  | { code: "RATE_LIMITED"; retryAfterMs: number }
  | { code: "APPROVALS_PENDING_LIMIT"; retryAfterMs: null }
  | { code: null; retryAfterMs: null };

/**
 * What happens to the call, the union's discriminant: `allow` (in monitor mode whatever the effect; for
 * an `ask`, through a remembered approval, or once a pending one was approved), `deny`, or `ask` (it
 * waits for the pending approval; `enforced` stays "ask" until that is decided).
 */
export type DecisionOutcome =
  | { enforced: "allow"; approval: ApprovalRef | null }
  | { enforced: "deny"; approval: null }
  | { enforced: "ask"; approval: PendingApproval };

/** What the gate decided, and what it will act on: a union on `enforced`. */
export type GateDecision = DecisionFacts & LimitRefusal & DecisionOutcome;

/** An approval the call waits for (or, once decided, waited for). */
export interface PendingApproval {
  id: string;
  status: "pending";
  /** The deadline, the digest approvers see, and how many must approve. */
  expiresAt: string;
  digest: string;
  required: number;
}

/** An earlier approval that covers this call, so it was let through without asking. */
export interface RememberedApproval {
  id: string;
  status: "remembered";
  expiresAt: null;
  digest: null;
  required: null;
}

export type ApprovalRef = PendingApproval | RememberedApproval;

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

/**
 * What a caller that ran the tool itself may hand on once it reported the outcome (Gate.reportOutcome):
 * the result as screened (`result`, when it sent one), or nothing at all when it was withheld.
 */
export type ReportedOutcome =
  | { status: "ok"; result?: unknown }
  | { status: "error" }
  | { status: "withheld"; error: WardenError };
