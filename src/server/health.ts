// GET /healthz: whether this instance can write its ledger now, for a load balancer; nothing about its content.
import { type Ledger, serviceAlert } from "../ledger/index.js";

/** While writes fail, /healthz tries one write (an alert record) at most this often, to see them work again. */
export const HEALTH_PROBE_MS = 5_000;

export type Health = { ok: true; status: "ok" } | { ok: false; status: "degraded"; reason: string };

/**
 * Tracks the ledger's writes: degraded from a failed batch until a later batch commits. A load balancer
 * that routes around a degraded instance sends it nothing to write, so the check itself then writes an
 * alert record (which also tells auditors that writes failed), at most once per HEALTH_PROBE_MS.
 */
export class LedgerHealth {
  readonly #ledger: Ledger;
  readonly #now: () => number;
  /** The ledger's count of failed batches when a batch last committed. */
  #failuresAtLastWrite: number;
  #lastProbe = Number.NEGATIVE_INFINITY;
  readonly #unsubscribe: () => void;

  constructor(ledger: Ledger, now: () => number = Date.now) {
    this.#ledger = ledger;
    this.#now = now;
    this.#failuresAtLastWrite = ledger.stats().failedBatches;
    this.#unsubscribe = ledger.onAppend(() => {
      this.#failuresAtLastWrite = this.#ledger.stats().failedBatches;
    });
  }

  /** Batches that failed since the last one that committed. */
  get failing(): number {
    return this.#ledger.stats().failedBatches - this.#failuresAtLastWrite;
  }

  async check(): Promise<Health> {
    try {
      // A store that cannot even be read (a database gone) is degraded too.
      await this.#ledger.head();
    } catch {
      return { ok: false, status: "degraded", reason: "the ledger cannot be read" };
    }
    if (this.failing > 0 && this.#now() - this.#lastProbe >= HEALTH_PROBE_MS) {
      this.#lastProbe = this.#now();
      await this.#ledger
        .append(serviceAlert({ type: "ledger.writes_failed", failedBatches: this.failing }))
        .catch(() => undefined);
    }
    if (this.failing > 0) return { ok: false, status: "degraded", reason: "ledger writes fail" };
    return { ok: true, status: "ok" };
  }

  close(): void {
    this.#unsubscribe();
  }
}
