// `approval.notify`: one delivery attempt of an approval to a webhook.
import { z } from "zod";

export const approvalNotify = z.object({
  approvalId: z.string(),
  webhook: z.string(),
  attempt: z.number(),
  status: z.enum(["delivered", "failed", "gave_up"]),
  httpStatus: z.number().nullable(),
  /** A safe error code (http_503, timeout), never a response body. */
  error: z.string().nullable(),
  /** Where a chat service keeps the delivered message (Slack: channel and ts), so another process can update it. */
  message: z.object({ channel: z.string(), ts: z.string() }).optional(),
});

export type ApprovalNotifyData = z.infer<typeof approvalNotify>;
