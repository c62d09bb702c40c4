// The policy contract: what a loaded policy is and what evaluating it returns. Pure data, no I/O.

export type { Effect, Mode, PolicyDecision } from "../decision.js";

import type { McpSettings } from "../adapters/mcp/config.js";
import type { ApprovalChannels, ApprovalSettings } from "../approvals/config.js";
import type { Effect, Mode, PolicyDecision } from "../decision.js";
import type { DetectSettings } from "../detect/config.js";
import type { ExportDocument } from "../export/config.js";
import type { AgentProfile, IdentitySettings, SessionLimits } from "../identity/config.js";
import type { JsonValue } from "../json.js";
import type { ContainmentSettings } from "../sandbox/config.js";
import type { SecretsSettings } from "../secrets/config.js";
import type { HttpLimits } from "../server/config.js";
import type { LimitSpec } from "./limits-config.js";

/** What a policy sees of a call. */
export interface EvalInput {
  tool: string;
  args: JsonValue;
  agent: { name: string; team: string | null; developer: string | null };
  session: { id: string; onBehalfOf: string; intent: string; parent: string | null };
  now: Date;
}

/** A policy's own regression test: a call and the decision it must get. */
export interface PolicyTestCase {
  name: string;
  agent: string;
  tool: string;
  args: JsonValue;
  onBehalfOf: string;
  intent: string;
  expect: Effect;
  /** When set, the deciding rule must be this one. */
  rule: string | null;
}

export interface CompiledPolicy {
  /** sha256:<hex> of the RFC 8785 canonical JSON of the parsed document. */
  readonly digest: string;
  /** Where it came from (file path, or "<inline>"). */
  readonly source: string;
  readonly mode: Mode;
  readonly defaultEffect: Effect;
  /** null when the policy has no `agents:` registry (then any agent name is accepted). */
  readonly agents: ReadonlyMap<string, AgentProfile> | null;
  readonly limits: readonly LimitSpec[];
  readonly tests: readonly PolicyTestCase[];
  /** Pure and synchronous. Never throws: a failing `when:` fails closed (see policy/evaluate.ts). */
  evaluate(input: EvalInput): PolicyDecision;
  /** JSON paths (e.g. `$.body`, `$.attachments[*].content`) whose values the ledger keeps only as digests. */
  redactionsFor(tool: string): readonly string[];
  /** Whether the agent's job description covers the tool (true when there is no registry). */
  agentMayUse(agent: string, tool: string): boolean;
  /**
   * True when no call of `tool` by `agent` can be allowed, whatever its arguments: outside the job
   * description, an unconditional deny rule, or no allow/ask rule at all under a deny default.
   * Rate limits and monitor mode are not considered.
   */
  neverAllowed(agent: string, tool: string): boolean;
  /** The `mcp:` section; null when the policy has none. */
  readonly mcp: McpSettings | null;
  /** The `export:` section (read when the exporter starts; a reload does not change running sinks). */
  readonly export: ExportDocument | null;
  /** The `identity:` section: the OpenID provider (null when none) and the `onBehalfOf` rule. */
  readonly identity: IdentitySettings;
  /** Detections: `detect:`, tool labels and intents (see docs/detect.md). */
  readonly detect: DetectSettings;
  /** The approval an `ask` of rule `ruleId` needs (the policy-wide settings for asks of no rule). */
  approvalFor(ruleId: string | null): ApprovalSettings;
  readonly approvalChannels: ApprovalChannels;
  /** `sessions:` — null when unlimited (idleTimeout: 1h when unset, null when set to null). Leases never outlive maxDuration (8h when unset). */
  readonly sessionLimits: SessionLimits;
  /** null when the policy has no `secrets:` section. */
  readonly secrets: SecretsSettings | null;
  readonly containment: ContainmentSettings;
  /**
   * `server:` — the decision service's connection limits (read when it starts listening) and per-token
   * budgets (read per request); only the keys the policy sets.
   */
  readonly server: HttpLimits;
}
