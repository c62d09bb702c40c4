// The public API of agent-warden.
export type { ApprovalView, Approver, DecisionInput } from "./approvals/index.js";
export {
  type ApprovalRef,
  type CommandResult,
  type DecisionFacts,
  type DecisionOutcome,
  type GateDecision,
  type LimitRefusal,
  type Outcome,
  type OutcomeReporter,
  type PendingApproval,
  type ReloadResult,
  type RememberedApproval,
  type ReportedOutcome,
  type RunContext,
  type RunPlan,
  refusalError,
  type ToolCallRequest,
  type ToolContext,
  type ToolRunner,
} from "./core/index.js";
export {
  AgentUnknownError,
  ApprovalDeniedError,
  ApprovalExpiredError,
  ApprovalMismatchError,
  ApprovalsPendingLimitError,
  type ErrorCode,
  InvalidArgsError,
  LedgerUnavailableError,
  OutcomeUnrecordedError,
  PolicyInvalidError,
  type PolicyIssue,
  RateLimitedError,
  type RefusalInfo,
  SessionEndedError,
  SessionNotFoundError,
  ToolDeniedError,
  WardenError,
} from "./errors.js";
export {
  type ExportEvent,
  Exporter,
  type ExporterOptions,
  type RunnerStats,
  type Sink,
  SinkError,
  type SinkSetup,
} from "./export/index.js";
export { guarded } from "./guarded.js";
export { formatChain, type Principal, type PrincipalChain, type SessionInfo } from "./identity/index.js";
export type { JsonObject, JsonValue } from "./json.js";
export type { LedgerRecord, LedgerStore, RecordKind } from "./ledger/index.js";
export type { CompiledPolicy, Effect, Mode, PolicyDecision } from "./policy/index.js";
export { type CallOptions, type GuardedFunction, type GuardOptions, Session } from "./session.js";
export { Warden, type WardenOptions } from "./warden.js";
