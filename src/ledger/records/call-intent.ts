// `call.intent`: a tool call as decided, made durable before the tool may run.
import { z } from "zod";
import { effect, jsonObject, jsonValue, principalChain } from "./parts.js";

export const intentDecision = z.object({
  /** What the policy (then the limits and detectors) said. */
  effect,
  /** What was done: `allow` in monitor mode whatever the effect; `allow` for a remembered approval. */
  enforced: effect.optional(),
  ruleId: z.string().nullable().optional(),
  reason: z.string().optional(),
  /** A refusal's error code (RATE_LIMITED), else null. */
  code: z.string().nullable().optional(),
});

export const callIntent = z.object({
  tool: z.string(),
  /** The arguments, redacted fields as `sha256:` digests. */
  args: jsonValue,
  decision: intentDecision,
  /** Argument paths that were redacted. The fields below are absent on the format's first records. */
  redacted: z.array(z.string()).optional(),
  rationale: z.string().nullable().optional(),
  /** The session's intent. */
  intent: z.string().optional(),
  principal: principalChain.optional(),
  mode: z.enum(["enforce", "monitor"]).optional(),
  /** Digest of the policy in force. */
  policy: z.string().optional(),
  traceparent: z.string().optional(),
  /** Findings whose action is `log` (the others are `alert` records). */
  detections: z.array(jsonObject).optional(),
  /**
   * Who runs the tool once allowed (core/request.ts ToolRunner): only a `caller` or `remote` call's
   * outcome may be reported; a `here` or `sandbox` call's comes from the run.
   */
  runner: z.enum(["here", "sandbox", "caller", "remote"]).optional(),
  /** The approval an `ask` asked for, or the remembered one that let it through. */
  approval: z.object({ id: z.string(), status: z.enum(["pending", "remembered"]) }).optional(),
});

export type CallIntentData = z.infer<typeof callIntent>;
