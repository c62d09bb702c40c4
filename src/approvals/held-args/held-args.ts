// The real arguments of pending approvals, sealed beside the ledger for as long as people may decide them.
import { WardenError } from "../../errors.js";
import type { JsonValue } from "../../json.js";
import type { HeldArgsTable } from "../../ledger/index.js";
import type { ArgsSeal } from "./seal.js";

/** What a decider is shown: the arguments with the policy's redacted values in clear, until the deadline. */
export type HeldArgsRead =
  | { state: "held"; args: JsonValue; until: string }
  /** Nothing held: nothing was redacted, or the approval is decided, expired or closed. */
  | { state: "none" }
  /** Held, but not readable here (sealed with another key, or altered); `message` says which. */
  | { state: "unreadable"; message: string };

export interface HeldApproval {
  id: string;
  session: string;
  expiresAt: string;
}

const SWEEP_MS = 30_000;

/**
 * The ledger keeps digests of redacted values; approvers must still read what they approve. Each
 * pending approval's arguments are sealed (AES-256-GCM) into the store's `approval_args` table before
 * its request record is written, read only for people who may decide it, and deleted when it is
 * decided, when its session ends, and at its deadline (reads past it find nothing; a sweep removes the
 * row). Rows are ciphertext: the database alone, or a copy of it, does not reveal them.
 */
export class HeldArgs {
  readonly #table: HeldArgsTable;
  readonly #seal: ArgsSeal;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | null = null;

  constructor(table: HeldArgsTable, seal: ArgsSeal, now: () => number = Date.now) {
    this.#table = table;
    this.#seal = seal;
    this.#now = now;
  }

  /** Starts the sweep of rows past their deadline (one now, then every 30 s). */
  start(sweepMs = SWEEP_MS): void {
    void this.sweep().catch(() => undefined);
    this.#timer = setInterval(() => void this.sweep().catch(() => undefined), sweepMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Seals `args` for `approval`; throws (LEDGER_UNAVAILABLE) when the store cannot keep them. */
  async hold(approval: HeldApproval, args: JsonValue): Promise<void> {
    await this.#table.put({
      approvalId: approval.id,
      session: approval.session,
      expiresAt: approval.expiresAt,
      sealed: this.#seal.seal(approval.id, args),
    });
  }

  async read(approvalId: string): Promise<HeldArgsRead> {
    const row = await this.#table.get(approvalId, new Date(this.#now()).toISOString());
    if (!row) return { state: "none" };
    try {
      return { state: "held", args: this.#seal.open(approvalId, row.sealed), until: row.expiresAt };
    } catch (err) {
      if (err instanceof WardenError) return { state: "unreadable", message: err.message };
      throw err;
    }
  }

  /** Deleting is idempotent: every process that learns of a decision may do it. */
  release(approvalId: string): Promise<void> {
    return this.#table.delete(approvalId);
  }

  releaseSession(session: string): Promise<void> {
    return this.#table.deleteSession(session);
  }

  sweep(): Promise<number> {
    return this.#table.deleteExpired(new Date(this.#now()).toISOString());
  }
}
