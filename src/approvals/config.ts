// The approvals stage's configuration: the `approvals:` section and a rule's `approval:` (zod fragments),
// and what they compile to. A new channel adds its schema to approvalsSchema, its settings type to
// ApprovalChannels and its defaults to compileApprovalChannels, all here.
import * as z from "zod";
import { envName, glob, httpUrl, id, jsonPath, upToAWeek } from "../config/index.js";

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
/** `approvals:` — the policy-wide approval settings and the channels that announce and decide approvals. */
export const approvalsSchema = z.strictObject({
  ...approvalSettings,
  /** The longest "remember for a time" an approver may choose (default 24h). */
  maxRemember: upToAWeek.optional(),
  /**
   * How many approvals one session may have pending at once (default 100); a call that would ask for
   * one more is denied (APPROVALS_PENDING_LIMIT) without asking anyone.
   */
  maxPendingPerSession: z.int().min(1).max(100_000).optional(),
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

/**
 * A rule's `approval:` (for `decision: ask`): overrides of `approvals:` for this rule. Its `remember` is
 * the rule's own (absent: the exact arguments only); `default` opts in to `approvals.remember`.
 */
export const ruleApprovalSchema = z.strictObject({
  ...approvalSettings,
  remember: z.union([z.array(jsonPath), z.literal("default")]).optional(),
});

export type ApprovalsDocument = z.output<typeof approvalsSchema>;
export type RuleApprovalDocument = z.output<typeof ruleApprovalSchema>;

/** What an `ask` needs: resolved from the rule's `approval:` over the policy's `approvals:`. */
export interface ApprovalSettings {
  approvers: number;
  /** `role:<role>` entries and token-name globs; an approver must match one. */
  by: readonly string[];
  selfApproval: boolean;
  /** The agent's registered developer may not approve its calls. */
  excludeDeveloper: boolean;
  timeoutMs: number;
  /** JSON paths of the argument fields a remembered approval is keyed on; empty = all arguments. */
  remember: readonly string[];
  /**
   * JSON paths of the arguments the asking rule's `when:` reads ("all" when that cannot be told): a
   * remembered approval covers a later call only if these are unchanged too.
   */
  conditionReads: readonly string[] | "all";
}

/** One Slack workspace channel where approvals are posted and decided (secrets stay in the environment). */
export interface SlackChannelSettings {
  name: string;
  channel: string;
  botTokenEnv: string;
  signingSecretEnv: string;
  apiUrl: string;
  includeArgs: boolean;
  /** Slack user id → approver name. */
  users: Readonly<Record<string, string>>;
}

/** Where new approvals are announced and which bots may answer (secrets stay in the environment). */
export interface ApprovalChannels {
  webhooks: readonly { name: string; url: string; secretEnv: string; includeArgs: boolean }[];
  slack: readonly SlackChannelSettings[];
  integrations: readonly { name: string; secretEnv: string }[];
  publicUrl: string | null;
  maxRememberMs: number;
  /** The most approvals one session may have pending at once. */
  maxPendingPerSession: number;
}

/** Generous: an agent that meets it is flooding its approvers, not waiting on them. */
export const DEFAULT_MAX_PENDING_PER_SESSION = 100;

const DEFAULT_APPROVERS = Object.freeze(["role:approver", "role:admin"]);

/**
 * What an `ask` needs: each field from the rule's `approval:` (`over`), else `approvals:`, else the
 * defaults. `conditionReads`: the argument paths the asking rule's `when:` reads.
 */
export function resolveApproval(
  doc: ApprovalsDocument,
  over: RuleApprovalDocument = {},
  conditionReads: ApprovalSettings["conditionReads"] = Object.freeze([]),
): ApprovalSettings {
  // The section's `remember` is a default only for rules that opt in with `remember: default`: a
  // scope nobody wrote for a rule must not widen what its approvals cover.
  return Object.freeze({
    approvers: over.approvers ?? doc.approvers ?? 1,
    by: Object.freeze([...(over.by ?? doc.by ?? DEFAULT_APPROVERS)]),
    selfApproval: over.selfApproval ?? doc.selfApproval ?? false,
    excludeDeveloper: over.excludeDeveloper ?? doc.excludeDeveloper ?? true,
    timeoutMs: over.timeout ?? doc.timeout ?? 15 * 60_000,
    remember: Object.freeze([
      ...(over.remember === "default" ? (doc.remember ?? []) : (over.remember ?? [])),
    ]),
    conditionReads,
  });
}

/** The channels of `approvals:` with their defaults filled in. */
export function compileApprovalChannels(doc: ApprovalsDocument): ApprovalChannels {
  return Object.freeze({
    webhooks: Object.freeze(
      (doc.webhooks ?? []).map((w) => Object.freeze({ ...w, includeArgs: w.includeArgs ?? false })),
    ),
    slack: Object.freeze(
      (doc.slack ?? []).map((c) =>
        Object.freeze({
          ...c,
          apiUrl: (c.apiUrl ?? "https://slack.com/api").replace(/\/+$/, ""),
          includeArgs: c.includeArgs ?? false,
          users: Object.freeze({ ...(c.users ?? {}) }),
        }),
      ),
    ),
    integrations: Object.freeze((doc.integrations ?? []).map((i) => Object.freeze({ ...i }))),
    publicUrl: doc.publicUrl?.replace(/\/+$/, "") ?? null,
    maxRememberMs: doc.maxRemember ?? 24 * 3_600_000,
    maxPendingPerSession: doc.maxPendingPerSession ?? DEFAULT_MAX_PENDING_PER_SESSION,
  });
}
