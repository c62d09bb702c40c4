// The policy stage's public surface: the only module other stages import.

export { RULE_CACHE_LIMIT } from "./evaluate.js";
export {
  type ActiveLimit,
  activateLimit,
  type LimitContext,
  limitKeyOf,
  RateLimiter,
  type TakeResult,
} from "./limits.js";
export type { LimitKey, LimitSpec } from "./limits-config.js";
export { checkPolicyText, formatIssue, loadPolicyFile, parsePolicy } from "./load.js";
export { type PolicyTestResult, runPolicyTests, testPositions } from "./policy-tests.js";
export { applyRedactions, type RedactionResult } from "./redact.js";
export { type ReplayCall, type ReplayChange, type ReplayReport, replayCalls } from "./replay.js";
export type {
  CompiledPolicy,
  Effect,
  EvalInput,
  Mode,
  PolicyDecision,
  PolicyTestCase,
} from "./types.js";
