// One sink's outbox loop: read pages after the sink's durable cursor, deliver, acknowledge, retry, dead-letter.
import {
  type Checkpoint,
  type Ledger,
  type LedgerRecord,
  type LedgerStore,
  serviceAlert,
} from "../ledger/index.js";
import { backoffDelay, type RetryOptions, retryDelay } from "../webhooks/index.js";
import { checkpointEvent, recordEvent } from "./event.js";
import { type ExportEvent, type Sink, SinkError } from "./types.js";

export interface RunnerOptions {
  batchSize: number;
  retry: RetryOptions;
  /** A send that takes longer counts as a failure (default 30 s). */
  sendTimeoutMs: number;
  /** How often to look for records other processes appended (their appends do not wake this one). */
  pollMs: number;
}

export interface RunnerStats {
  delivered: number;
  failures: number;
  deadLettered: number;
  /** Records (all chains) the ledger holds that the sink has not acknowledged yet. */
  lag: number;
}

// Checkpoints have their own cursor, kept under this suffix of the sink name.
const CHECKPOINT_CURSOR = "/checkpoints";
const DEAD_LETTER = "export.dead_letter";
const STALLED = "export.stalled";

/**
 * Delivers the whole ledger to one sink, at least once, from wherever it stopped: in chain order, or in
 * order of the sink's batches in flight when it takes several at once (`Sink.batchesInFlight`).
 */
export class SinkRunner {
  readonly sink: Sink;
  readonly #ledger: Ledger;
  readonly #store: LedgerStore;
  readonly #options: RunnerOptions;
  readonly #stats = { delivered: 0, failures: 0, deadLettered: 0 };
  // Last known head and acknowledged seq per chain, kept live so the lag gauge moves while a send hangs.
  readonly #heads = new Map<string, number>();
  readonly #acked = new Map<string, number>();
  #closed = false;
  /** Whether this outage's `export.stalled` alert was written (until the next delivery). */
  #stalled = false;
  #dirty = true;
  /** Whoever is idling (the loop, or one delivery per batch in flight backing off) and how to wake them. */
  readonly #wakers = new Set<() => void>();
  readonly #done: Promise<void>;

  constructor(ledger: Ledger, sink: Sink, options: RunnerOptions) {
    this.sink = sink;
    this.#ledger = ledger;
    this.#store = ledger.store;
    this.#options = options;
    this.#done = this.#loop();
  }

  stats(): RunnerStats {
    let lag = 0;
    for (const [chain, head] of this.#heads) lag += Math.max(0, head - (this.#acked.get(chain) ?? 0));
    return { ...this.#stats, lag };
  }

  /** New records exist: run a pass soon. Cheap and synchronous, so the ledger's listener never waits. */
  notify(records: readonly LedgerRecord[]): void {
    const last = records.at(-1);
    if (last) this.#heads.set(last.chain, Math.max(last.seq, this.#heads.get(last.chain) ?? 0));
    this.#dirty = true;
    this.#wakeAll();
  }

  /** Stops after the current send (or after `graceMs`, then closes the sink under it). */
  async close(graceMs: number): Promise<void> {
    this.#closed = true;
    this.#wakeAll();
    const finished = await Promise.race([this.#done.then(() => true), sleep(graceMs).then(() => false)]);
    await this.sink.close().catch(() => undefined);
    if (!finished) await Promise.race([this.#done, sleep(graceMs)]);
  }

  async #loop(): Promise<void> {
    while (!this.#closed) {
      let progressed = false;
      try {
        this.#dirty = false;
        progressed = await this.#pass();
      } catch {
        // The store is unreadable (e.g. the database is busy): try again at the next wake-up.
      }
      if (!progressed && !this.#dirty) await this.#idle(this.#options.pollMs);
    }
  }

  /**
   * One page of every chain that has one (records first, then checkpoints); true if anything was
   * delivered. Every chain gets its turn each pass: a chain that always has records waiting (a busy
   * instance on a shared database) must not hold the others back.
   */
  async #pass(): Promise<boolean> {
    let progressed = false;
    for (const chain of await this.#store.chains()) {
      if (this.#closed) return false;
      const cursor = await this.#store.getCursor(this.sink.name, chain);
      const head = (await this.#store.head(chain))?.seq ?? 0;
      this.#heads.set(chain, Math.max(head, this.#heads.get(chain) ?? 0));
      this.#acked.set(chain, cursor);
      const pages = await this.#pages(chain, cursor);
      if (pages.length > 0) {
        progressed = true;
        const delivered = await Promise.all(pages.map((page) => this.#deliver(page.map(recordEvent))));
        const last = confirmedPrefixEnd(pages, delivered);
        if (last !== null) {
          await this.#store.putCursor(this.sink.name, chain, last);
          this.#acked.set(chain, last);
        }
        continue;
      }
      const cpCursor = await this.#store.getCursor(this.sink.name + CHECKPOINT_CURSOR, chain);
      const batch = await this.#checkpointsAfter(chain, cpCursor);
      if (batch.length === 0) continue;
      progressed = true;
      const delivered = await this.#deliver(batch.map(checkpointEvent));
      if (delivered > 0) {
        await this.#store.putCursor(this.sink.name + CHECKPOINT_CURSOR, chain, batch[delivered - 1]!.seq);
      }
    }
    return progressed;
  }

  /**
   * The next batch of `chain`'s checkpoints after `cursor`: a page where the store reads one, so a pass
   * costs a batch however many checkpoints the chain has (one every 10 s: millions over a year).
   */
  async #checkpointsAfter(chain: string, cursor: number): Promise<Checkpoint[]> {
    const limit = this.#options.batchSize;
    if (this.#store.checkpointsAfter) return this.#store.checkpointsAfter(chain, cursor, limit);
    return (await this.#store.checkpoints(chain)).filter((c) => c.seq > cursor).slice(0, limit);
  }

  /** The next pages of `chain` after `cursor`: as many as may be in flight at once, each a batch. */
  async #pages(chain: string, cursor: number): Promise<LedgerRecord[][]> {
    const pages: LedgerRecord[][] = [];
    let after = cursor;
    while (pages.length < Math.max(1, this.sink.batchesInFlight ?? 1)) {
      const page = await this.#store.readChain(chain, after + 1, this.#options.batchSize);
      if (page.length === 0) break;
      pages.push(page);
      after = page.at(-1)!.seq;
    }
    return pages;
  }

  /**
   * Delivers `events` and returns how many at their start are done: all of them, fewer only when
   * closing. An event the receiver refuses for good is dead-lettered (found by sending the events not
   * yet taken one at a time). A retry sends only the events the receiver has not taken: sent whole
   * again, a batch could meet the same failure each time (a load balancer with one broken backend
   * among n, and a batch of n). A receiver that is down, busy or failing is retried for as long as it
   * takes (at-least-once: an outage loses nothing); past `retry.attempts` failures without progress an
   * `export.stalled` alert says the sink is behind.
   */
  async #deliver(events: ExportEvent[]): Promise<number> {
    // done[i]: the receiver took events[i], or it was dead-lettered.
    const done = events.map(() => false);
    let oneAtATime = false;
    let failures = 0;
    while (!this.#closed) {
      const open: number[] = events.flatMap((_, i) => (done[i] ? [] : [i]));
      if (open.length === 0) return events.length;
      const batch: number[] = oneAtATime ? open.slice(0, 1) : open;
      try {
        await this.#send(batch.map((i) => events[i]!));
        for (const i of batch) done[i] = true;
        this.#stats.delivered += batch.length;
        this.#stalled = false;
        failures = 0;
      } catch (err) {
        this.#stats.failures++;
        const accepted = err instanceof SinkError ? [...err.accepted].filter((j) => j < batch.length) : [];
        for (const j of accepted) done[batch[j]!] = true;
        this.#stats.delivered += accepted.length;
        const left = batch.filter((i) => !done[i]);
        if (err instanceof SinkError && err.permanent) {
          failures = 0;
          // Several events could be the one refused: try them one at a time, with fresh attempts.
          oneAtATime = left.length > 1;
          if (left.length === 1) await this.#deadLetterDurably(events, done, left[0]!, err);
          continue;
        }
        failures = accepted.length > 0 ? 1 : failures + 1;
        if (failures === this.#options.retry.attempts && !this.#stalled) {
          this.#stalled = true;
          await this.#alertStalled(err, failures);
        }
        await this.#idle(
          retryDelay(failures, this.#options.retry, err instanceof SinkError ? err.retryAfterMs : null),
          true,
        );
      }
    }
    return donePrefix(done);
  }

  /** Records once per outage that the sink is behind and still retrying, so the gap is seen elsewhere. */
  async #alertStalled(err: unknown, failures: number): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    await this.#ledger
      .append(
        serviceAlert({
          type: STALLED,
          severity: "high",
          message: `export sink ${this.sink.name} failed ${failures} times in a row; it keeps retrying and loses nothing`,
          sink: this.sink.name,
          code: err instanceof SinkError ? err.code : "EXPORT_SINK_FAILED",
          error: message.slice(0, 500),
        }),
      )
      .catch(() => undefined);
  }

  async #send(batch: ExportEvent[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const abort = new AbortController();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new SinkError(this.sink.name, `send timed out after ${this.#options.sendTimeoutMs} ms`);
        // The sink stops the send given up on: its retry must not go out beside it.
        abort.abort(err);
        reject(err);
      }, this.#options.sendTimeoutMs);
    });
    try {
      await Promise.race([this.sink.send(batch, abort.signal), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Marks `events[i]` done once its dead-letter record is durable. A ledger that cannot take the record
   * now (a full disk) is tried again after a back-off, without sending the event again: the receiver's
   * answer stands.
   */
  async #deadLetterDurably(events: ExportEvent[], done: boolean[], i: number, err: unknown): Promise<void> {
    for (let tries = 1; !this.#closed; tries++) {
      if (await this.#deadLetter(events[i]!, err)) {
        done[i] = true;
        return;
      }
      await this.#idle(backoffDelay(tries, this.#options.retry), true);
    }
  }

  /** Records in the ledger that `event` was given up on, so the gap is visible and auditable. */
  async #deadLetter(event: ExportEvent, err: unknown): Promise<boolean> {
    // A dead-letter alert about this same sink would fail the same way: skip it rather than loop.
    if (event.type === "alert" && event.data.type === DEAD_LETTER && event.data.sink === this.sink.name) {
      this.#stats.deadLettered++;
      return true;
    }
    const code = err instanceof SinkError ? err.code : "EXPORT_SINK_FAILED";
    const message = err instanceof Error ? err.message : String(err);
    return this.#ledger
      .append({
        kind: "alert",
        session: event.session,
        agent: event.agent,
        callId: null,
        data: {
          type: DEAD_LETTER,
          sink: this.sink.name,
          event: event.id,
          code,
          error: message.slice(0, 500),
        },
      })
      .then(
        () => {
          this.#stats.deadLettered++;
          return true;
        },
        () => false,
      );
  }

  /** Waits `ms`, or until notified (unless `fixed`: a back-off must run its course) or closed. */
  #idle(ms: number, fixed = false): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        if (!fixed || this.#closed) done();
      };
      const done = () => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.#wakers.add(wake);
    });
  }

  #wakeAll(): void {
    for (const wake of [...this.#wakers]) wake();
  }
}

/**
 * The last seq the cursor may move to: over every page delivered whole, in order, then the delivered
 * prefix of the first page that was not (a later page that arrived meanwhile is sent again). Null: none.
 */
function confirmedPrefixEnd(pages: LedgerRecord[][], delivered: number[]): number | null {
  let last: number | null = null;
  for (const [i, page] of pages.entries()) {
    const count = delivered[i] ?? 0;
    if (count > 0) last = page[count - 1]!.seq;
    if (count < page.length) break;
  }
  return last;
}

/** How many events at the start of a batch are done (taken, or dead-lettered). */
function donePrefix(done: boolean[]): number {
  const first = done.indexOf(false);
  return first === -1 ? done.length : first;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
