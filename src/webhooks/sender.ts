// One signed webhook sender (Standard Webhooks) for exported events, approval notifications and sandbox alerts.
import type { Webhook } from "standardwebhooks";
import { retryDelay } from "./backoff.js";
import { httpPost } from "./http-post.js";
import { parseRetryAfter } from "./retry-after.js";
import { webhookSigner } from "./secret.js";

export interface WebhookTarget {
  /** http: or https: only. */
  url: string;
  /** `whsec_<base64>` (the prefix is optional), at least 16 bytes. */
  secret: string;
  /** Sent with every request besides the signature headers. */
  headers?: Record<string, string>;
  /** A private CA (PEM) for https. */
  ca?: string;
}

/**
 * One attempt. `error` is a short stable code (`http_500`, `ECONNREFUSED`, `timeout`, `aborted`,
 * `network_error`), never a response body or an error message: those can quote the URL or a token.
 */
export interface Attempt {
  delivered: boolean;
  /** Worth another try: a network error, a timeout, 408, 429, or any answer but 2xx and other 4xx. */
  retryable: boolean;
  httpStatus: number | null;
  error: string | null;
  /** The wait the receiver asked for with Retry-After (parseRetryAfter), or null when it named none. */
  retryAfterMs: number | null;
}

export interface DeliverOptions {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Back-off after the first failure, doubled per failure up to `maxDelayMs`, with jitter. */
  minDelayMs: number;
  maxDelayMs: number;
  /** Per request. */
  timeoutMs: number;
  /** Aborted: no further attempt starts (the one that just failed is the last) and a back-off wait ends. */
  stop?: AbortSignal;
  /** Aborted: a request in flight is cut (error `aborted`). */
  abort?: AbortSignal;
  /** Told of every attempt, `last` when no other follows. */
  onAttempt?: (attempt: number, result: Attempt, last: boolean) => void | Promise<void>;
  random?: () => number;
}

export interface Delivery {
  status: "delivered" | "gave_up";
  attempts: number;
  httpStatus: number | null;
  error: string | null;
  /** Another attempt was due, but `stop` ended the back-off before it. */
  stopped: boolean;
}

const ERRNO = /^[A-Z][A-Z0-9_]{1,40}$/;

/**
 * A receiver of signed POSTs. `webhook-id` is the caller's: the same on every retry, so the receiver
 * can drop duplicates. Refuses (with the caller's error) a URL that is not http(s) and a secret that
 * webhookSigner refuses.
 *
 * @example
 * const hook = new SignedWebhook(
 *   { url: "https://soc.example.com/warden", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
 *   (why) => new Error(`alert webhook: ${why}`),
 * );
 * const delivery = await hook.deliver("msg_1", JSON.stringify({ type: "x" }), {
 *   attempts: 3, minDelayMs: 200, maxDelayMs: 5_000, timeoutMs: 5_000,
 * });
 */
export class SignedWebhook {
  readonly url: URL;
  readonly #signer: Webhook;
  readonly #headers: Record<string, string>;
  readonly #ca: string | undefined;

  constructor(target: WebhookTarget, invalid: (why: string) => Error) {
    let url: URL | null = null;
    try {
      url = new URL(target.url);
    } catch {}
    if (url?.protocol !== "http:" && url?.protocol !== "https:")
      throw invalid("the url must be http: or https:");
    const signer = webhookSigner(target.secret);
    if (signer === null) throw invalid("the secret is not whsec_<base64> of at least 16 bytes");
    this.url = url;
    this.#signer = signer;
    this.#headers = target.headers ?? {};
    this.#ca = target.ca;
  }

  /** One signed POST; never throws. */
  async post(id: string, payload: string, o: { timeoutMs: number; abort?: AbortSignal }): Promise<Attempt> {
    const timeout = AbortSignal.timeout(o.timeoutMs);
    const now = new Date();
    try {
      const { status, retryAfter } = await httpPost(this.url, payload, {
        headers: {
          ...this.#headers,
          "content-type": "application/json",
          "webhook-id": id,
          "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
          "webhook-signature": this.#signer.sign(id, now, payload),
        },
        ca: this.#ca,
        timeoutMs: o.timeoutMs,
        signal: o.abort ? AbortSignal.any([timeout, o.abort]) : timeout,
      });
      const delivered = status >= 200 && status < 300;
      return {
        delivered,
        retryable: !delivered && retryableStatus(status),
        httpStatus: status,
        error: delivered ? null : `http_${status}`,
        retryAfterMs: delivered ? null : parseRetryAfter(retryAfter),
      };
    } catch (err) {
      if (o.abort?.aborted) return failed("aborted");
      const code = (err as NodeJS.ErrnoException).code;
      if (timeout.aborted || typeof code !== "string") return failed("timeout");
      return failed(ERRNO.test(code) ? code : "network_error");
    }
  }

  /** Posts until delivered, refused for good, out of attempts, or stopped; resolves with how it went. */
  async deliver(id: string, payload: string, o: DeliverOptions): Promise<Delivery> {
    const attempts = Math.max(1, o.attempts);
    for (let attempt = 1; ; attempt++) {
      const result = await this.post(id, payload, { timeoutMs: o.timeoutMs, abort: o.abort });
      const last = result.delivered || !result.retryable || attempt >= attempts || o.stop?.aborted === true;
      await o.onAttempt?.(attempt, result, last);
      const outcome = { attempts: attempt, httpStatus: result.httpStatus, error: result.error };
      if (result.delivered) return { status: "delivered", ...outcome, stopped: false };
      if (last) return { status: "gave_up", ...outcome, stopped: false };
      const delay = retryDelay(
        attempt,
        { attempts, minDelayMs: o.minDelayMs, maxDelayMs: o.maxDelayMs },
        result.retryAfterMs,
        o.random,
      );
      if (!(await wait(delay, o.stop))) return { status: "gave_up", ...outcome, stopped: true };
    }
  }
}

/** 4xx other than 408 and 429 is the receiver refusing this message for good; anything else may pass later. */
export function retryableStatus(status: number): boolean {
  return !(status >= 400 && status < 500) || status === 408 || status === 429;
}

function failed(error: string): Attempt {
  return { delivered: false, retryable: true, httpStatus: null, error, retryAfterMs: null };
}

/** Resolves true after `ms`, or false at once when `stop` is (or becomes) aborted. */
function wait(ms: number, stop: AbortSignal | undefined): Promise<boolean> {
  if (stop?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      stop?.removeEventListener("abort", done);
      resolve(true);
    }, ms);
    stop?.addEventListener("abort", done, { once: true });
  });
}
