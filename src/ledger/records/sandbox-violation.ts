// `sandbox.violation`: a sandboxed tool tried to reach what its egress rules refuse.
import { z } from "zod";

export const sandboxViolation = z.object({
  host: z.string(),
  port: z.number(),
  reason: z.string(),
  address: z.string().nullable(),
  /** null: a sandboxed run outside any tool call. */
  tool: z.string().nullable(),
  session: z.string(),
  action: z.enum(["killed", "denied"]),
  policy: z.string(),
});

export type SandboxViolationData = z.infer<typeof sandboxViolation>;
