// `approval.request`: an `ask` became a pending approval; written in the same group commit as its intent.
import { z } from "zod";
import { jsonValue } from "./parts.js";

export const callerProcess = z.object({
  host: z.string(),
  pid: z.number(),
  start: z.string().nullable(),
});

export const approvalRequest = z.object({
  approvalId: z.string(),
  /** What approvers see and decide on; a decision names it. */
  digest: z.string(),
  tool: z.string(),
  args: jsonValue,
  redacted: z.array(z.string()),
  rationale: z.string().nullable(),
  intent: z.string(),
  onBehalfOf: z.string(),
  ruleId: z.string(),
  reason: z.string(),
  policy: z.string(),
  /** How many different approvers must approve. */
  required: z.number(),
  /** `role:<role>` entries and token-name globs. */
  by: z.array(z.string()),
  selfApproval: z.boolean(),
  /** The agent's developer, who may not approve; null: no one excluded. */
  developer: z.string().nullable().optional(),
  /** The process that waits to run the tool; null: a caller that runs it itself (HTTP). */
  caller: callerProcess.nullable().optional(),
  rememberKey: z.string(),
  /**
   * The argument fields a remembered approval is keyed on; null: the exact arguments. Requests written
   * before paths could be remembered lack it, as they lack `developer` and `caller`.
   */
  rememberPaths: z.array(z.string()).nullable().optional(),
  expiresAt: z.string(),
});

export type ApprovalRequestData = z.infer<typeof approvalRequest>;
