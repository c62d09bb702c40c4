// Retry delays: exponential back-off with full jitter, so many senders recovering at once spread out.

export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts: number;
  /** First delay; doubles per failure … */
  minDelayMs: number;
  /** … up to this. */
  maxDelayMs: number;
}

/** The wait after the `failures`-th failure (1-based): uniform in [cap/2, cap], cap = min(max, min·2^(n−1)). */
export function backoffDelay(failures: number, retry: RetryOptions, random = Math.random): number {
  const cap = Math.min(retry.maxDelayMs, retry.minDelayMs * 2 ** Math.max(0, failures - 1));
  // Half fixed, half jitter: never a zero wait (a hot loop against a down receiver), still spread out.
  return cap / 2 + random() * (cap / 2);
}

/**
 * The wait after the `failures`-th failure when the receiver may have asked for one (Retry-After): the
 * back-off, or the receiver's longer wait, but never past `maxDelayMs`: a receiver must not park the
 * sender for a day.
 */
export function retryDelay(
  failures: number,
  retry: RetryOptions,
  askedMs: number | null,
  random = Math.random,
): number {
  const backoff = backoffDelay(failures, retry, random);
  return askedMs === null ? backoff : Math.max(backoff, Math.min(askedMs, retry.maxDelayMs));
}
