// Per-token limits on requests and body bytes, so one token cannot hold the event loop for everyone else.
import type { Context } from "hono";
import { WardenError } from "../errors.js";

export interface TokenLimitOptions {
  /** Requests a token may make per second on average, and at once. */
  requestsPerSecond: number;
  requestBurst: number;
  /** Body bytes a token may send per second on average, and at once (parsing costs CPU per byte). */
  bytesPerSecond: number;
  byteBurst: number;
  /**
   * Requests a token may have in progress at once (a long poll, an event stream, a body still coming):
   * each holds a connection and memory until it ends, which the request budget alone does not bound.
   */
  maxInFlight: number;
}

/**
 * Bytes bound the CPU a token can take: parsing, hashing and recording cost about 0.65–1 µs per body
 * byte (a 1 MB body of 60,000 keys took 0.65 s), so 512 KiB/s keeps one token below about half of the
 * service, while some 4,000 small decisions a second (and bursts of 2 MiB) still fit. The request
 * budget is above what one instance serves, a backstop for empty requests.
 */
export const DEFAULT_TOKEN_LIMITS: TokenLimitOptions = {
  requestsPerSecond: 10_000,
  requestBurst: 20_000,
  bytesPerSecond: 512 * 1024,
  byteBurst: 2 * 1024 * 1024,
  maxInFlight: 256,
};

interface Budget {
  requests: number;
  bytes: number;
  at: number;
}

/** Budgets of tokens seen lately; full ones are dropped past this many, so the table stays bounded. */
const MAX_BUDGETS = 10_000;

/** The body bytes of the current request that admission did not charge (a body without content-length). */
const meters = new WeakMap<object, (bytes: number) => void>();

export class TokenLimits {
  readonly #o: TokenLimitOptions;
  readonly #now: () => number;
  readonly #budgets = new Map<string, Budget>();
  /** Requests in progress, by token (none: absent, so the table holds only tokens at work). */
  readonly #inFlight = new Map<string, number>();

  constructor(options: Partial<TokenLimitOptions> = {}, now: () => number = Date.now) {
    this.#o = { ...DEFAULT_TOKEN_LIMITS, ...options };
    this.#now = now;
  }

  /**
   * Charges one request and its declared body size to `tokenId`, or throws RATE_LIMITED (nothing
   * charged) when the token's budget is spent or it has maxInFlight requests in progress,
   * PAYLOAD_TOO_LARGE when no budget could ever hold it. Checked before the body is read, so a refused
   * flood costs no parsing. Returns the function that ends the request's time in progress.
   */
  admit(c: Context, tokenId: string): () => void {
    const declared = Math.max(0, Number(c.req.header("content-length") ?? 0) || 0);
    // No wait would ever admit it: told to retry, a client would retry for ever.
    if (declared > this.#o.byteBurst) {
      throw new WardenError("PAYLOAD_TOO_LARGE", `body larger than ${this.#o.byteBurst} bytes`);
    }
    const inFlight = this.#inFlight.get(tokenId) ?? 0;
    if (inFlight >= this.#o.maxInFlight) {
      throw new WardenError(
        "RATE_LIMITED",
        `this token has ${inFlight} requests in progress, its most at once: wait for one to end`,
        { retryAfterMs: 1_000 },
      );
    }
    const budget = this.#budget(tokenId);
    if (budget.requests < 1 || budget.bytes < declared || budget.bytes < 0) {
      const o = this.#o;
      const waitMs = Math.max(
        budget.requests < 1 ? ((1 - budget.requests) / o.requestsPerSecond) * 1000 : 0,
        ((Math.min(declared, o.byteBurst) - budget.bytes) / o.bytesPerSecond) * 1000,
      );
      const retryAfterMs = Math.max(1, Math.ceil(waitMs));
      throw new WardenError("RATE_LIMITED", "this token sent more than its share of requests or bytes", {
        retryAfterMs,
      });
    }
    budget.requests -= 1;
    budget.bytes -= declared;
    meters.set(c.req.raw, (bytes) => {
      // Only what the declared length did not cover; a budget may go below zero, refusing what follows.
      if (bytes > declared) budget.bytes -= bytes - declared;
    });
    this.#inFlight.set(tokenId, inFlight + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.#inFlight.get(tokenId) ?? 1) - 1;
      if (left > 0) this.#inFlight.set(tokenId, left);
      else this.#inFlight.delete(tokenId);
    };
  }

  #budget(tokenId: string): Budget {
    const now = this.#now();
    const o = this.#o;
    let budget = this.#budgets.get(tokenId);
    if (!budget) {
      if (this.#budgets.size >= MAX_BUDGETS) this.#dropFull(now);
      budget = { requests: o.requestBurst, bytes: o.byteBurst, at: now };
      this.#budgets.set(tokenId, budget);
      return budget;
    }
    // A clock that steps back refills nothing.
    const seconds = Math.max(0, now - budget.at) / 1000;
    budget.requests = Math.min(o.requestBurst, budget.requests + seconds * o.requestsPerSecond);
    budget.bytes = Math.min(o.byteBurst, budget.bytes + seconds * o.bytesPerSecond);
    budget.at = now;
    return budget;
  }

  /** Forgets budgets that have refilled: they hold nothing a fresh one would not. */
  #dropFull(now: number): void {
    const o = this.#o;
    for (const [id, b] of this.#budgets) {
      const seconds = Math.max(0, now - b.at) / 1000;
      if (
        b.requests + seconds * o.requestsPerSecond >= o.requestBurst &&
        b.bytes + seconds * o.bytesPerSecond >= o.byteBurst
      )
        this.#budgets.delete(id);
    }
    // Still full of busy tokens: the oldest entry goes (its token starts again with a full budget).
    while (this.#budgets.size >= MAX_BUDGETS) {
      const oldest = this.#budgets.keys().next().value;
      if (oldest === undefined) break;
      this.#budgets.delete(oldest);
    }
  }
}

/** Charges the bytes of a body just read to the token that sent it (see TokenLimits.admit). */
export function chargeBody(c: Context, bytes: number): void {
  meters.get(c.req.raw)?.(bytes);
}
