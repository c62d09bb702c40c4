// Outcome records written just after the result goes back, joining the next call's intent commit (one fsync, not two).

/** How long an outcome may wait for a next call to share its commit before it is written alone. */
export const OUTCOME_DELAY_MS = 5;

/**
 * The intent record is what must be durable before a tool runs; the outcome only has to follow. Queued
 * outcomes are appended in the same turn as the next intent (`flush()` before `check()`), so the
 * ledger's group commit seals both with one fsync, or after OUTCOME_DELAY_MS when no call comes.
 */
export class OutcomeQueue {
  readonly #onError: (err: unknown) => void;
  #pending: (() => Promise<void>)[] = [];
  readonly #inflight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | null = null;

  constructor(onError: (err: unknown) => void) {
    this.#onError = onError;
  }

  add(write: () => Promise<void>): void {
    this.#pending.push(write);
    if (this.#timer === null) {
      this.#timer = setTimeout(() => this.flush(), OUTCOME_DELAY_MS);
      this.#timer.unref();
    }
  }

  /** Starts every queued write now (synchronously up to each ledger append, so they join the current batch). */
  flush(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const writes = this.#pending;
    if (writes.length === 0) return;
    this.#pending = [];
    for (const write of writes) {
      const p = write().catch(this.#onError);
      this.#inflight.add(p);
      void p.finally(() => this.#inflight.delete(p));
    }
  }

  /** Writes everything queued and waits until it is durable (or failed). */
  async drain(): Promise<void> {
    this.flush();
    await Promise.all([...this.#inflight]);
  }
}
