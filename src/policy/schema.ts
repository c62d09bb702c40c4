// The structure of a policy document as zod strict schemas; leaf checks (globs, CEL, durations) run here too.
import * as z from "zod";
import { mcpSchema } from "../adapters/mcp/config.js";
import { approvalsSchema, ruleApprovalSchema } from "../approvals/config.js";
import { glob, globs, id, jsonPath } from "../config/index.js";
import { detectSchema, intentsSchema, toolsSchema } from "../detect/config.js";
import { exportSchema } from "../export/config.js";
import { agentsSchema, identitySchema, sessionsSchema } from "../identity/config.js";
import { egressSchema, sandboxSchema } from "../sandbox/config.js";
import { secretsSchema } from "../secrets/config.js";
import { serverSchema } from "../server/config.js";
import { compileCondition } from "./cel.js";
import { limitsSchema } from "./limits-config.js";

const effect = z.enum(["allow", "deny", "ask"]);

/** Compiled during validation so a CEL syntax error is reported with every other issue. */
const when = z.string().transform((source, ctx) => {
  const compiled = compileCondition(source);
  if (typeof compiled === "string") {
    ctx.addIssue({ code: "custom", message: compiled });
    return z.NEVER;
  }
  return compiled;
});

const rule = z.strictObject({
  id,
  tools: globs.min(1).optional(),
  tool: glob.optional(),
  agents: globs.optional(),
  decision: effect,
  when: when.optional(),
  reason: z.string().optional(),
  /**
   * For `decision: ask`: overrides of the policy's `approvals:` settings for this rule. Its `remember`
   * is the rule's own (absent: the exact arguments only); `default` opts in to `approvals.remember`.
   */
  approval: ruleApprovalSchema.optional(),
});

const policyTest = z.strictObject({
  name: z.string().optional(),
  agent: z.string().min(1),
  tool: z.string().min(1),
  args: z
    .json({ error: "args must be plain JSON: strings, finite numbers, booleans, null, lists and maps" })
    .default({}),
  onBehalfOf: z.string().default("test@example.com"),
  intent: z.string().default("policy test"),
  expect: effect,
  rule: z.string().optional(),
});

export const policySchema = z.strictObject({
  version: z.literal(1).optional(),
  mode: z.enum(["enforce", "monitor"]).optional(),
  default: effect.optional(),
  allowed_tools: globs.optional(),
  blocked_tools: globs.optional(),
  agents: agentsSchema.optional(),
  rules: z.array(rule).optional(),
  limits: limitsSchema.optional(),
  redact: z.record(glob, z.array(jsonPath)).optional(),
  tests: z.array(policyTest).optional(),
  mcp: mcpSchema.optional(),
  export: exportSchema.optional(),
  /** Where callers' identities come from: the company's OpenID provider, and whether users must be verified. */
  identity: identitySchema.optional(),
  tools: toolsSchema.optional(),
  intents: intentsSchema.optional(),
  detect: detectSchema.optional(),
  approvals: approvalsSchema.optional(),
  sessions: sessionsSchema.optional(),
  secrets: secretsSchema.optional(),
  egress: egressSchema.optional(),
  sandbox: sandboxSchema.optional(),
  /** The decision service's HTTP limits: connections (read at start) and per-token budgets. */
  server: serverSchema.optional(),
});

export type PolicyDocument = z.output<typeof policySchema>;
export type RuleDocument = NonNullable<PolicyDocument["rules"]>[number];
