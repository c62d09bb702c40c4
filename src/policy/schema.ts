// The structure of a policy document as zod strict schemas; leaf checks (globs, CEL, durations) run here too.
import * as z from "zod";
import { mcpSchema } from "../adapters/mcp/config.js";
import {
  duration,
  envName,
  glob,
  globs,
  httpUrl,
  ID_PATTERN,
  id,
  jsonPath,
  upToAWeek,
} from "../config/index.js";
import { detectSchema, intentsSchema, toolsSchema } from "../detect/config.js";
import { exportSchema } from "../export/config.js";
import { agentsSchema, identitySchema, sessionsSchema } from "../identity/config.js";
import { egressSchema, sandboxRuntime, sandboxSchema } from "../sandbox/config.js";
import { secretsSchema } from "../secrets/config.js";
import { compileCondition } from "./cel.js";

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

/** Who must approve an `ask`, for how long it waits, and what a remembered approval is keyed on. */
const approvalSettings = {
  /** How many different people must approve (2 = four eyes). */
  approvers: z.int().min(1).max(10).optional(),
  /** Who may approve: `role:approver`, `role:admin`, or token names (globs, e.g. `*@sec.example.com`). */
  by: z
    .array(
      glob.refine((b) => !b.startsWith("role:") || b === "role:approver" || b === "role:admin", {
        error: "a role entry is role:approver or role:admin (agents and auditors never approve)",
      }),
    )
    .min(1)
    .optional(),
  /** Whether the user the agent acts for may approve their own agent's call (default false). */
  selfApproval: z.boolean().optional(),
  /** Whether the agent's registered developer (`agents:`) is kept from approving its calls (default true). */
  excludeDeveloper: z.boolean().optional(),
  timeout: upToAWeek.optional(),
  /**
   * Argument fields a remembered approval is keyed on (JSON paths). In `approvals:` a default that
   * only rules with `remember: default` take; a rule without `remember` keys on all its arguments.
   */
  remember: z.array(jsonPath).optional(),
};
const approvals = z.strictObject({
  ...approvalSettings,
  /** The longest "remember for a time" an approver may choose (default 24h). */
  maxRemember: upToAWeek.optional(),
  /** Signed notifications of new pending approvals (Standard Webhooks); the secret comes from the env. */
  webhooks: z
    .array(
      z.strictObject({
        name: id,
        url: httpUrl("url"),
        secretEnv: envName,
        /**
         * Also send the held arguments (the values `redact:` hides from the ledger) to this receiver
         * (default false: digests only). Only for a receiver whose readers may decide the approvals.
         */
        includeArgs: z.boolean().optional(),
      }),
    )
    .optional(),
  /** Native Slack approvals: a Block Kit message per pending approval, decided with its buttons. */
  slack: z
    .array(
      z.strictObject({
        name: id,
        /** The channel id (C…) the bot posts to; the bot must be a member. */
        channel: z.string().regex(/^[A-Z0-9]{2,32}$/, "a Slack channel id such as C0123ABCD"),
        /** The bot token (xoxb-…) comes from this environment variable. */
        botTokenEnv: envName,
        /** The app's signing secret, which verifies its interactive requests, from this variable. */
        signingSecretEnv: envName,
        /** Slack's Web API base (default https://slack.com/api). */
        apiUrl: z.url({ protocol: /^https?$/, error: "apiUrl must be an http(s) URL" }).optional(),
        /** Show the held arguments in the message (default false: the redacted values show as digests). */
        includeArgs: z.boolean().optional(),
        /** Slack user id (U…/W…) → the approver name recorded; a user not listed cannot decide. */
        users: z
          .record(
            z.string().regex(/^[UW][A-Z0-9]{2,32}$/, "a Slack user id such as U0123ABCD"),
            z.string().min(1).max(256),
          )
          .optional(),
      }),
    )
    .optional(),
  /** Chat-ops bots that may POST decisions, each verified with its own Standard Webhooks secret. */
  integrations: z.array(z.strictObject({ name: id, secretEnv: envName })).optional(),
  /** The dashboard's address as approvers reach it, for the action links in notifications. */
  publicUrl: httpUrl("publicUrl").optional(),
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
  approval: z
    .strictObject({
      ...approvalSettings,
      remember: z.union([z.array(jsonPath), z.literal("default")]).optional(),
    })
    .optional(),
});

const limit = z.strictObject({
  id,
  key: z.enum(["agent", "tool", "session", "user"]),
  tools: globs.optional(),
  agents: globs.optional(),
  calls: z.int().positive(),
  per: duration,
  burst: z.int().positive().optional(),
  reason: z.string().optional(),
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
  limits: z.array(limit).optional(),
  redact: z.record(glob, z.array(jsonPath)).optional(),
  tests: z.array(policyTest).optional(),
  mcp: mcpSchema.optional(),
  export: exportSchema.optional(),
  /** Where callers' identities come from: the company's OpenID provider, and whether users must be verified. */
  identity: identitySchema.optional(),
  tools: toolsSchema.optional(),
  intents: intentsSchema.optional(),
  detect: detectSchema.optional(),
  approvals: approvals.optional(),
  sessions: sessionsSchema.optional(),
  secrets: secretsSchema.optional(),
  egress: egressSchema.optional(),
  sandbox: sandboxSchema.optional(),
});

export type PolicyDocument = z.output<typeof policySchema>;
export type RuleDocument = NonNullable<PolicyDocument["rules"]>[number];
export type ApprovalsDocument = NonNullable<PolicyDocument["approvals"]>;
