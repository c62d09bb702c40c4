// Outcome records written once the result is on its way back, joining the next call's intent commit (one fsync, not two).

/**
 * The intent record is what must be durable before a tool runs; the outcome only has to follow. Each
 * outcome is built and appended in the turn after its result was sent (off the next call's path), as a
 * record that joins the next batch: the next intent's commit, or a commit of its own a few
 * milliseconds later when no call comes (the ledger's JOIN_NEXT_MS).
 */
export class OutcomeQueue {
  readonly #onError: (err: unknown) => void;
  #pending: (() => Promise<void>)[] = [];
  #immediate: NodeJS.Immediate | null = null;
  readonly #inflight = new Set<Promise<void>>();

  constructor(onError: (err: unknown) => void) {
    this.#onError = onError;
  }

  add(write: () => Promise<void>): void {
    this.#pending.push(write);
    // The check phase comes after the result's write to the client, which the caller's promise chain
    // makes in this turn.
    this.#immediate ??= setImmediate(() => this.#start());
  }

  /** Writes everything queued and waits until it is durable (or failed). */
  async drain(): Promise<void> {
    this.#start();
    await Promise.all([...this.#inflight]);
  }

  #start(): void {
    if (this.#immediate !== null) {
      clearImmediate(this.#immediate);
      this.#immediate = null;
    }
    const writes = this.#pending;
    this.#pending = [];
    for (const write of writes) {
      const p = write().catch(this.#onError);
      this.#inflight.add(p);
      void p.finally(() => this.#inflight.delete(p));
    }
  }
}
