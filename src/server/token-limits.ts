// Per-token limits on requests and body bytes, so one token cannot hold the event loop for everyone else.
import type { Context } from "hono";
import { WardenError } from "../errors.js";
import { DEFAULT_TOKEN_LIMITS, type TokenLimitOptions } from "./config.js";

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
  readonly #options: () => Partial<TokenLimitOptions>;
  readonly #now: () => number;
  readonly #budgets = new Map<string, Budget>();
  /** Requests in progress, by token (none: absent, so the table holds only tokens at work). */
  readonly #inFlight = new Map<string, number>();

  /**
   * `options` over DEFAULT_TOKEN_LIMITS; a function is read at each request, so the budgets follow a
   * policy reload (a budget holding more than a lowered burst is cut to it at its next request).
   */
  constructor(
    options: Partial<TokenLimitOptions> | (() => Partial<TokenLimitOptions>) = {},
    now: () => number = Date.now,
  ) {
    this.#options = typeof options === "function" ? options : () => options;
    this.#now = now;
  }

  /**
   * Charges one request and its declared body size to `tokenId`, or throws RATE_LIMITED (nothing
   * charged) when the token's budget is spent or it has maxInFlight requests in progress,
   * PAYLOAD_TOO_LARGE when no budget could ever hold it. Checked before the body is read, so a refused
   * flood costs no parsing. Returns the function that ends the request's time in progress.
   */
  admit(c: Context, tokenId: string): () => void {
    const o: TokenLimitOptions = { ...DEFAULT_TOKEN_LIMITS, ...this.#options() };
    const declared = Math.max(0, Number(c.req.header("content-length") ?? 0) || 0);
    // No wait would ever admit it: told to retry, a client would retry for ever.
    if (declared > o.byteBurst) {
      throw new WardenError("PAYLOAD_TOO_LARGE", `body larger than ${o.byteBurst} bytes`);
    }
    const inFlight = this.#inFlight.get(tokenId) ?? 0;
    if (inFlight >= o.maxInFlight) {
      throw new WardenError(
        "RATE_LIMITED",
        `this token has ${inFlight} requests in progress, its most at once: wait for one to end`,
        { retryAfterMs: 1_000 },
      );
    }
    const budget = this.#budget(tokenId, o);
    if (budget.requests < 1 || budget.bytes < declared || budget.bytes < 0) {
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

  #budget(tokenId: string, o: TokenLimitOptions): Budget {
    const now = this.#now();
    let budget = this.#budgets.get(tokenId);
    if (!budget) {
      if (this.#budgets.size >= MAX_BUDGETS) this.#dropFull(now, o);
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
  #dropFull(now: number, o: TokenLimitOptions): void {
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
