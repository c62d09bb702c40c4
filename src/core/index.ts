// The core's public surface: the gate (the order of the stages), what runs after a decision, and their shapes.
export type { RunContext, RunPlan } from "./call-runner.js";
export { Execution } from "./execute.js";
export { Gate, refusalError } from "./gate.js";
export { LivePolicy, type ReloadResult } from "./live-policy.js";
export type {
  ApprovalRef,
  CommandResult,
  DecisionFacts,
  DecisionOutcome,
  GateDecision,
  LimitRefusal,
  Outcome,
  OutcomeReporter,
  PendingApproval,
  RememberedApproval,
  ReportedOutcome,
  ToolCallRequest,
  ToolContext,
  ToolRunner,
} from "./request.js";
export { SharedRateLimiter } from "./shared-limiter.js";
