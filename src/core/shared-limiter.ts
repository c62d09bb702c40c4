// Rate limits that hold across instances: the policy's limits matched here, their buckets kept in the database.
import type { SharedBuckets } from "../ledger/index.js";
import {
  type ActiveLimit,
  activateLimit,
  type LimitContext,
  type LimitSpec,
  limitKeyOf,
  type TakeResult,
} from "../policy/index.js";

/** What the gate asks a limiter: the in-memory RateLimiter answers at once, a shared one after a round trip. */
export interface Limiter {
  take(ctx: LimitContext): TakeResult | Promise<TakeResult>;
  /** Gives back what a successful `take` with the same context spent (its intent was never recorded). */
  refund(ctx: LimitContext): void | Promise<void>;
  replaceLimits(limits: readonly LimitSpec[]): void;
}

interface SharedLimit extends ActiveLimit {
  /** The limit's numbers, part of the bucket key so a reload that changes them starts fresh buckets. */
  shape: string;
}

const OK: TakeResult = { ok: true };

/**
 * The policy's `limits:` as token buckets shared by every instance on one database. A call that no
 * limit matches costs nothing; one that does waits for the shared take (batched with its neighbours).
 * The bucket key includes the limit's numbers, so a reload that changes them starts a fresh bucket,
 * and one that keeps them keeps its tokens, as the in-memory limiter does.
 *
 * @example
 * const limiter = new SharedRateLimiter(store.buckets!, policy.limits);
 * const taken = await limiter.take({ tool: "send_email", agent: "support-bot", session: "s1", user: "alice" });
 */
export class SharedRateLimiter implements Limiter {
  readonly #buckets: SharedBuckets;
  #limits: SharedLimit[] = [];

  constructor(buckets: SharedBuckets, limits: readonly LimitSpec[]) {
    this.#buckets = buckets;
    this.replaceLimits(limits);
  }

  take(ctx: LimitContext): TakeResult | Promise<TakeResult> {
    const hits = this.#limits.filter((limit) => limit.applies(ctx));
    if (hits.length === 0) return OK;
    const buckets = hits.map((l) => ({
      key: bucketKey(l, ctx),
      burst: l.spec.burst,
      perMs: l.spec.calls / l.spec.everyMs,
    }));
    return this.#buckets.take(buckets).then((r): TakeResult => {
      if (r.ok) return OK;
      return { ok: false, limit: hits[r.index]!.spec, retryAfterMs: r.retryAfterMs };
    });
  }

  refund(ctx: LimitContext): void | Promise<void> {
    const keys = this.#limits.filter((limit) => limit.applies(ctx)).map((l) => bucketKey(l, ctx));
    if (keys.length > 0) return this.#buckets.refund(keys);
  }

  replaceLimits(limits: readonly LimitSpec[]): void {
    this.#limits = limits.map((spec) => ({
      ...activateLimit(spec),
      shape: `${spec.calls}/${spec.everyMs}/${spec.burst}`,
    }));
  }
}

function bucketKey(limit: SharedLimit, ctx: LimitContext): string {
  return `${limit.spec.id}|${limit.shape}|${limit.spec.key}=${limitKeyOf(limit.spec, ctx)}`;
}
