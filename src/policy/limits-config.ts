// The limits stage's configuration: the `limits:` section (zod fragment) and the token buckets it compiles to.
import * as z from "zod";
import { duration, formatDuration, globs, id } from "../config/index.js";

/** One entry of `limits:` — a token bucket per key over the calls it counts. */
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

/** `limits:` — token buckets; every limit a call matches must give a token (ids unique: policy/semantic.ts). */
export const limitsSchema = z.array(limit);

export type LimitsDocument = z.output<typeof limitsSchema>;

export type LimitKey = "agent" | "tool" | "session" | "user";

/** A token bucket: `calls` per `everyMs`, holding at most `burst` tokens. */
export interface LimitSpec {
  id: string;
  key: LimitKey;
  /** Tool globs the limit counts; all tools when absent. */
  tools: string[] | null;
  /** Agent globs the limit applies to; all agents when absent. */
  agents: string[] | null;
  calls: number;
  everyMs: number;
  burst: number;
  reason: string;
}

/** The `limits:` section compiled, with defaults: burst = calls, a reason naming the numbers. */
export function compileLimits(doc: LimitsDocument = []): readonly LimitSpec[] {
  return Object.freeze(doc.map(toLimitSpec));
}

function toLimitSpec(limit: LimitsDocument[number]): LimitSpec {
  return {
    id: limit.id,
    key: limit.key,
    tools: limit.tools ?? null,
    agents: limit.agents ?? null,
    calls: limit.calls,
    everyMs: limit.per,
    burst: limit.burst ?? limit.calls,
    reason:
      limit.reason ??
      `limit ${limit.id}: ${limit.calls} calls per ${formatDuration(limit.per)} per ${limit.key}`,
  };
}
