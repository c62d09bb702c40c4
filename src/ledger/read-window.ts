// Where a poll for records other processes append starts reading, and which records it has already read.

/**
 * A poll reads records from `since` on. Each read moves `since` to a cut a few seconds back, because
 * another writer's batch may still commit with an earlier timestamp; records read again in that overlap
 * are told apart by chain and seq, and forgotten once they fall behind the cut.
 */
export class ReadWindow {
  #since: string;
  readonly #seen = new Map<string, number>();

  /** `startMs`: where the first read starts (ms since epoch). */
  constructor(startMs: number) {
    this.#since = new Date(startMs).toISOString();
  }

  /** The timestamp the next read starts at (ISO, as records carry it). */
  get since(): string {
    return this.#since;
  }

  /** True the first time a record is offered. */
  isNew(record: { chain: string; seq: number; ts: string }): boolean {
    const key = `${record.chain}:${record.seq}`;
    if (this.#seen.has(key)) return false;
    this.#seen.set(key, Date.parse(record.ts));
    return true;
  }

  /** Later reads start at `cutMs` (never earlier than now); records older than it are forgotten. */
  moveTo(cutMs: number): void {
    if (cutMs <= Date.parse(this.#since)) return;
    this.#since = new Date(cutMs).toISOString();
    for (const [key, at] of this.#seen) if (at < cutMs) this.#seen.delete(key);
  }
}
