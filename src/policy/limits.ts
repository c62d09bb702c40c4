// Token-bucket rate limits from the policy's `limits:`, checked for all matching limits at once.

import { compileGlobs } from "../config/index.js";
import { personKey } from "../people.js";
import type { LimitSpec } from "./limits-config.js";

export interface LimitContext {
  tool: string;
  agent: string;
  session: string;
  user: string;
}

export type TakeResult = { ok: true } | { ok: false; limit: LimitSpec; retryAfterMs: number };

/** A limit with its tool and agent globs compiled: what every limiter matches calls against. */
export interface ActiveLimit {
  spec: LimitSpec;
  /** Whether the limit counts this call (its tools and agents globs match). */
  applies(ctx: LimitContext): boolean;
}

/**
 * The value a limit counts by for this call. A user is one person however the caller spells them
 * ("Alice@Example.com ", full-width letters): each spelling must not get its own bucket.
 */
export function limitKeyOf(spec: LimitSpec, ctx: LimitContext): string {
  return spec.key === "user" ? personKey(ctx.user) : ctx[spec.key];
}

export function activateLimit(spec: LimitSpec): ActiveLimit {
  const matchesTool = spec.tools === null ? () => true : compileGlobs(spec.tools);
  const matchesAgent = spec.agents === null ? () => true : compileGlobs(spec.agents);
  return { spec, applies: (ctx) => matchesTool(ctx.tool) && matchesAgent(ctx.agent) };
}

interface Bucket {
  limitId: string;
  tokens: number;
  /** Clock time the tokens were last brought up to date. */
  at: number;
}

/** Sweep full buckets at most this often, and sooner when the map grows past SWEEP_SIZE. */
const SWEEP_EVERY_MS = 60_000;
const SWEEP_SIZE = 10_000;

/**
 * One bucket per `${limit.id}|${value of the limit's key}`, holding at most `burst` tokens and
 * refilling `calls` tokens every `everyMs`. A call takes one token from each matching bucket, or
 * none at all: buckets are checked first, then consumed, so a refusal never spends tokens.
 * @example
 * const limiter = new RateLimiter([
 *   { id: "per-agent", key: "agent", tools: null, agents: null, calls: 30, everyMs: 60_000, burst: 30, reason: "30/min" },
 * ]);
 * limiter.take({ tool: "read_ticket", agent: "support-bot", session: "s1", user: "alice@example.com" }); // { ok: true }
 */
export class RateLimiter {
  private limits: ActiveLimit[] = [];
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep: number;
  private sweepSize = SWEEP_SIZE;

  constructor(
    limits: readonly LimitSpec[],
    private readonly clock: () => number = Date.now,
  ) {
    this.lastSweep = clock();
    this.replaceLimits(limits);
  }

  take(ctx: LimitContext): TakeResult {
    const now = this.clock();
    this.maybeSweep(now);
    const hits: Bucket[] = [];
    for (const limit of this.limits) {
      if (!limit.applies(ctx)) continue;
      const spec = limit.spec;
      const key = `${spec.id}|${limitKeyOf(spec, ctx)}`;
      let bucket = this.buckets.get(key);
      if (bucket === undefined) {
        bucket = { limitId: spec.id, tokens: spec.burst, at: now };
        this.buckets.set(key, bucket);
      } else {
        refill(bucket, spec, now);
      }
      if (bucket.tokens < 1) {
        const retryAfterMs = Math.max(1, Math.ceil(((1 - bucket.tokens) * spec.everyMs) / spec.calls));
        return { ok: false, limit: spec, retryAfterMs };
      }
      hits.push(bucket);
    }
    for (const bucket of hits) bucket.tokens -= 1;
    return { ok: true };
  }

  /** Gives back the token `take(ctx)` spent in each matching bucket (its call was never recorded). */
  refund(ctx: LimitContext): void {
    const now = this.clock();
    for (const limit of this.limits) {
      if (!limit.applies(ctx)) continue;
      const bucket = this.buckets.get(`${limit.spec.id}|${limitKeyOf(limit.spec, ctx)}`);
      if (bucket === undefined) continue;
      refill(bucket, limit.spec, now);
      bucket.tokens = Math.min(limit.spec.burst, bucket.tokens + 1);
    }
  }

  /**
   * Swaps in the limits of a reloaded policy. Buckets of a limit whose id, key and numbers are
   * unchanged keep their tokens, so a reload cannot be used to reset a rate limit.
   */
  replaceLimits(limits: readonly LimitSpec[]): void {
    const before = new Map(this.limits.map((l) => [l.spec.id, l.spec]));
    this.limits = limits.map(activateLimit);
    const kept = new Set<string>();
    for (const spec of limits) {
      const old = before.get(spec.id);
      if (old !== undefined && sameBucketShape(old, spec)) kept.add(spec.id);
    }
    for (const [key, bucket] of this.buckets) if (!kept.has(bucket.limitId)) this.buckets.delete(key);
  }

  /** Number of live buckets (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  /** A full bucket holds nothing a fresh one would not, so dropping it loses no state. */
  private maybeSweep(now: number): void {
    if (now - this.lastSweep < SWEEP_EVERY_MS && this.buckets.size < this.sweepSize) return;
    this.lastSweep = now;
    const specs = new Map(this.limits.map((l) => [l.spec.id, l.spec]));
    for (const [key, bucket] of this.buckets) {
      const spec = specs.get(bucket.limitId);
      if (spec === undefined) {
        this.buckets.delete(key);
        continue;
      }
      refill(bucket, spec, now);
      if (bucket.tokens >= spec.burst) this.buckets.delete(key);
    }
    // Busy buckets cannot be dropped; wait for the map to double before sweeping again on size.
    this.sweepSize = Math.max(SWEEP_SIZE, this.buckets.size * 2);
  }
}

function refill(bucket: Bucket, spec: LimitSpec, now: number): void {
  // A clock that steps back must not mint tokens, nor take them away.
  const elapsed = Math.max(0, now - bucket.at);
  bucket.tokens = Math.min(spec.burst, bucket.tokens + (elapsed * spec.calls) / spec.everyMs);
  bucket.at = Math.max(bucket.at, now);
}

function sameBucketShape(a: LimitSpec, b: LimitSpec): boolean {
  return a.key === b.key && a.calls === b.calls && a.everyMs === b.everyMs && a.burst === b.burst;
}
