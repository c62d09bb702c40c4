// Typed errors with stable codes: callers and tests branch on `code`, never on message text.

export type ErrorCode =
  | "TOOL_DENIED"
  | "RATE_LIMITED"
  | "LEDGER_UNAVAILABLE"
  /** The tool ran, but its outcome could not be recorded: do not run it again. */
  | "OUTCOME_UNRECORDED"
  | "SESSION_ENDED"
  | "SESSION_NOT_FOUND"
  | "CALL_NOT_FOUND"
  | "CALL_ID_CONFLICT"
  | "AGENT_UNKNOWN"
  | "POLICY_INVALID"
  | "INVALID_ARGS"
  | "INVALID_REQUEST"
  | "PAYLOAD_TOO_LARGE"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "LEDGER_KEY_MISSING"
  /** Another process holds the ledger chain this instance was told to write (PostgreSQL). */
  | "LEDGER_CHAIN_LOCKED"
  /** The database already holds checkpoints signed with another key (PostgreSQL). */
  | "LEDGER_KEY_MISMATCH"
  /** An export sink could not deliver events (the exporter retries, then dead-letters). */
  | "EXPORT_SINK_FAILED"
  /** The policy's `export:` section names something that cannot be used (a missing secret, a bad file). */
  | "EXPORT_CONFIG_INVALID"
  /** An approver refused the call; the reason goes back to the agent. */
  | "APPROVAL_DENIED"
  /** Nobody decided before the approval's deadline. */
  | "APPROVAL_EXPIRED"
  /** The call differs from the one that was approved (or the approver saw another digest). */
  | "APPROVAL_MISMATCH"
  | "APPROVAL_NOT_FOUND"
  /** The session already has approvals.maxPendingPerSession approvals pending: the call was denied, nobody asked. */
  | "APPROVALS_PENDING_LIMIT"
  /** The approval was already decided, or this approver already gave their answer. */
  | "APPROVAL_CLOSED"
  /** An inbound webhook's signature, timestamp or headers do not verify. */
  | "WEBHOOK_INVALID"
  /** An inbound webhook id that was already accepted. */
  | "WEBHOOK_REPLAYED"
  | "LINK_INVALID"
  | "LINK_EXPIRED"
  | "LINK_USED"
  /** The policy's `approvals:` names a webhook or integration whose secret is missing or malformed. */
  | "APPROVAL_CONFIG_INVALID"
  /** A chat service (Slack) refused or did not answer a message about an approval. */
  | "APPROVAL_NOTIFY_FAILED"
  /** An approval's held arguments were sealed with another key, or altered: they are not shown. */
  | "APPROVAL_ARGS_UNREADABLE"
  /** A secret could not be handed out (missing, unreadable, or its provider refused). */
  | "SECRET_UNAVAILABLE"
  /** A secrets provider failed (Vault or PostgreSQL unreachable, an unexpected answer). */
  | "SECRET_PROVIDER_FAILED"
  /** A sandboxed tool broke its containment (a host it may not reach, a limit); the session was ended. */
  | "SANDBOX_VIOLATION"
  /** The egress rules refused a connection (a host not allowed, a private or metadata address, …). */
  | "EGRESS_DENIED"
  /** A sandbox option or run spec is invalid; nothing ran. */
  | "SANDBOX_INVALID"
  /** The sandbox could not be started (bwrap missing, …); fail closed: nothing ran. */
  | "SANDBOX_UNAVAILABLE"
  /** A result held a credential (`secrets.results: block`), or could not be screened for secrets. */
  | "RESULT_WITHHELD"
  /** An upstream MCP result larger than `mcp.maxResultBytes`; it was not relayed. */
  | "RESULT_TOO_LARGE"
  /** A dashboard request without the session's CSRF token. */
  | "CSRF_FAILED"
  /** A provider's bearer token failed a check (signature, issuer, audience, expiry, type); `details.reason` says which. */
  | "TOKEN_INVALID"
  /** The identity provider's discovery document or keys could not be fetched; fail closed. */
  | "PROVIDER_UNAVAILABLE"
  /** A single sign-on could not complete (unknown or replayed state, a refused code, an ID token that fails). */
  | "SSO_FAILED"
  /** `identity.onBehalfOf: verified` and the user came from no verified token. */
  | "IDENTITY_UNVERIFIED"
  /** `warden prune` refused: the archive does not verify or cover the records, or no checkpoint at that seq. */
  | "LEDGER_PRUNE_REFUSED"
  /** A ledger record whose data does not match its kind's schema (src/ledger/records/): corruption, or a forged record. */
  | "LEDGER_RECORD_MALFORMED";

/** Base of every error Warden throws on purpose. */
export class WardenError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** The decision a refused call carried, so callers can show the rule and reason. */
export interface RefusalInfo {
  callId: string;
  tool: string;
  ruleId: string | null;
  reason: string;
}

/** Policy said deny (or the tool is outside the agent's job description). */
export class ToolDeniedError extends WardenError {
  readonly refusal: RefusalInfo;
  constructor(refusal: RefusalInfo) {
    super("TOOL_DENIED", `tool "${refusal.tool}" denied: ${refusal.reason}`, { ...refusal });
    this.refusal = refusal;
  }
}

/** An approver denied the call; `reason` is the approver's text, meant for the agent. */
export class ApprovalDeniedError extends WardenError {
  readonly refusal: RefusalInfo;
  readonly approvalId: string;
  constructor(refusal: RefusalInfo, approvalId: string, approverReason: string | null) {
    super(
      "APPROVAL_DENIED",
      `tool "${refusal.tool}" was denied by an approver${approverReason ? `: ${approverReason}` : ""}`,
      { ...refusal, approvalId, approverReason },
    );
    this.refusal = refusal;
    this.approvalId = approvalId;
  }
}

/** Nobody approved the call before its deadline; it did not run. */
export class ApprovalExpiredError extends WardenError {
  readonly refusal: RefusalInfo;
  readonly approvalId: string;
  constructor(refusal: RefusalInfo, approvalId: string) {
    super("APPROVAL_EXPIRED", `tool "${refusal.tool}" was not approved in time`, { ...refusal, approvalId });
    this.refusal = refusal;
    this.approvalId = approvalId;
  }
}

/** A decided call was handed other arguments to run with than those decided (and approved); it did not run. */
export class ApprovalMismatchError extends WardenError {
  constructor(callId: string, tool: string) {
    super(
      "APPROVAL_MISMATCH",
      `the arguments of call ${callId} are not the ones Warden decided; it did not run`,
      {
        callId,
        tool,
      },
    );
  }
}

/** A token bucket of the policy's `limits:` ran dry. */
export class RateLimitedError extends WardenError {
  readonly refusal: RefusalInfo;
  readonly retryAfterMs: number;
  constructor(refusal: RefusalInfo, retryAfterMs: number) {
    super("RATE_LIMITED", `tool "${refusal.tool}" rate limited: ${refusal.reason}`, {
      ...refusal,
      retryAfterMs,
    });
    this.refusal = refusal;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The call would have asked for an approval while its session had too many pending; nobody was asked. */
export class ApprovalsPendingLimitError extends WardenError {
  readonly refusal: RefusalInfo;
  constructor(refusal: RefusalInfo) {
    super("APPROVALS_PENDING_LIMIT", `tool "${refusal.tool}" denied: ${refusal.reason}`, { ...refusal });
    this.refusal = refusal;
  }
}

/** The ledger could not make a record durable; the call did not run. */
export class LedgerUnavailableError extends WardenError {
  constructor(message: string, cause?: unknown) {
    super("LEDGER_UNAVAILABLE", `ledger unavailable: ${message}`);
    if (cause !== undefined) this.cause = cause;
  }
}

/**
 * The tool ran, but the ledger could not record its outcome. Unlike LEDGER_UNAVAILABLE (nothing ran), a
 * caller must not retry: `result` is what the tool returned (screened like any result), or `toolError`
 * what it threw.
 */
export class OutcomeUnrecordedError extends WardenError {
  readonly result: unknown;
  readonly toolError: unknown;
  constructor(callId: string, ran: { result?: unknown; error?: unknown }, cause?: unknown) {
    super("OUTCOME_UNRECORDED", `the tool ran, but the outcome of call ${callId} could not be recorded`, {
      callId,
    });
    this.result = ran.result;
    this.toolError = ran.error;
    if (cause !== undefined) this.cause = cause;
  }
}

export class SessionEndedError extends WardenError {
  constructor(sessionId: string) {
    super("SESSION_ENDED", `session ${sessionId} has ended`, { session: sessionId });
  }
}

export class SessionNotFoundError extends WardenError {
  constructor(sessionId: string) {
    super("SESSION_NOT_FOUND", `no session ${sessionId}`, { session: sessionId });
  }
}

export class AgentUnknownError extends WardenError {
  constructor(agent: string) {
    super("AGENT_UNKNOWN", `agent "${agent}" is not in the policy's agents registry`, { agent });
  }
}

/** One problem found in a policy file, located for a human. */
export interface PolicyIssue {
  file: string;
  line: number;
  column: number;
  path: (string | number)[];
  message: string;
  /** Absent for an error; a warning (e.g. a condition naming a field its tool's args schema lacks) leaves the policy valid. */
  severity?: "warning";
}

export class PolicyInvalidError extends WardenError {
  readonly issues: PolicyIssue[];
  constructor(issues: PolicyIssue[]) {
    const first = issues[0];
    const where = first ? `${first.file}:${first.line}:${first.column}: ${first.message}` : "invalid policy";
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
    super("POLICY_INVALID", `policy invalid: ${where}${more}`, { issues });
    this.issues = issues;
  }
}

/**
 * A record whose data does not match its kind's schema: read back from a ledger (`chain`, `seq` say
 * where), or handed to the ledger by a writer that got past the types (then both are null).
 */
export class MalformedRecordError extends WardenError {
  constructor(
    where: { chain: string | null; seq: number | null; kind: string },
    problem: { path: string; message: string },
  ) {
    const at = where.chain === null ? "" : ` (chain ${where.chain}, seq ${where.seq})`;
    const field = problem.path ? `data.${problem.path}` : "data";
    super("LEDGER_RECORD_MALFORMED", `malformed ${where.kind} record${at}: ${field}: ${problem.message}`, {
      ...where,
      path: problem.path,
    });
  }
}

/** Arguments that are not plain JSON (cycles, functions, NaN, …). Nothing ran. */
export class InvalidArgsError extends WardenError {
  constructor(message: string, path: (string | number)[]) {
    super("INVALID_ARGS", `invalid tool arguments at ${formatPath(path)}: ${message}`, { path });
  }
}

export function formatPath(path: readonly (string | number)[]): string {
  let out = "$";
  for (const p of path)
    out +=
      typeof p === "number" ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`;
  return out;
}
