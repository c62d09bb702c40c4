// `call.outcome`: what became of an allowed call. Never the result (only its digest), never an error message.
import { z } from "zod";

export const resultDigest = z.object({
  digest: z.string().nullable(),
  size: z.number().nullable(),
  /** The JS type of a result that is not JSON (then digest and size are null). */
  type: z.string().optional(),
});

export const callOutcome = z.object({
  status: z.enum(["ok", "error"]),
  durationMs: z.number(),
  /** Absent on the format's first records, as are `result` and `error`. */
  tool: z.string().optional(),
  result: resultDigest.nullable().optional(),
  /** A stable code, never the message: messages can carry secrets. */
  error: z.object({ code: z.string() }).nullable().optional(),
  traceparent: z.string().optional(),
});

export type CallOutcomeData = z.infer<typeof callOutcome>;
