// Retry delays: exponential back-off with full jitter, so many exporters recovering at once spread out.

export interface RetryOptions {
  /** Deliveries of one batch before its events are dead-lettered (default 10). */
  attempts: number;
  /** First delay (default 500 ms); doubles per failure … */
  minDelayMs: number;
  /** … up to this (default 60 s). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 10, minDelayMs: 500, maxDelayMs: 60_000 };

/** The wait after the `failures`-th failure (1-based): uniform in [cap/2, cap], cap = min(max, min·2^(n−1)). */
export function backoffDelay(failures: number, retry: RetryOptions, random = Math.random): number {
  const cap = Math.min(retry.maxDelayMs, retry.minDelayMs * 2 ** Math.max(0, failures - 1));
  // Half fixed, half jitter: never a zero wait (a hot loop against a down receiver), still spread out.
  return cap / 2 + random() * (cap / 2);
}
