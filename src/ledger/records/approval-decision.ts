// `approval.decision`: one person's answer to an approval, or its expiry; the stores refuse one after the final.
import { z } from "zod";

export const rememberScope = z.discriminatedUnion("scope", [
  z.object({ scope: z.literal("session") }),
  z.object({ scope: z.literal("time"), until: z.string() }),
]);

export const approvalDecision = z.object({
  approvalId: z.string(),
  digest: z.string(),
  decision: z.enum(["approve", "deny", "expire"]),
  approver: z.string().nullable(),
  role: z.string().nullable(),
  /** dashboard, api, cli, webhook:<integration>, timeout. */
  via: z.string(),
  reason: z.string().nullable(),
  remember: rememberScope.nullable(),
  /**
   * Copied from the request, so a store can tell a final decision without reading it. Decisions
   * written before they were copied lack both (a store then takes 1 approver and no deadline).
   */
  required: z.number().optional(),
  expiresAt: z.string().optional(),
});

export type ApprovalDecisionData = z.infer<typeof approvalDecision>;
