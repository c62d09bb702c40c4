// Prometheus metrics, derived from what the ledger made durable (so they never count a call twice or miss one).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { type Ledger, parseRecord } from "../ledger/index.js";
import { LedgerHealth } from "./health.js";

export class Metrics {
  readonly registry = new Registry();
  readonly #records = new Counter({
    name: "warden_ledger_records_total",
    help: "Records made durable in the ledger, by kind",
    labelNames: ["kind"],
    registers: [this.registry],
  });
  readonly #decisions = new Counter({
    name: "warden_decisions_total",
    help: "Tool-call decisions, by policy effect and enforced effect",
    labelNames: ["effect", "enforced"],
    registers: [this.registry],
  });
  readonly decisionSeconds = new Histogram({
    name: "warden_http_decision_seconds",
    help: "Time to answer POST /v1/decisions, including the durable intent record",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly #unsubscribe: () => void;
  /** Whether the ledger's writes work now (GET /healthz). */
  readonly health: LedgerHealth;

  constructor(ledger: Ledger) {
    this.health = new LedgerHealth(ledger);
    // Node's process metrics under their standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes…),
    // so the dashboards and alerts written for any Node service work as they are.
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: "warden_ledger_head_seq",
      help: "Seq of the last durable record of the chain this instance writes",
      labelNames: ["chain"],
      registers: [this.registry],
      async collect() {
        const head = await ledger.head().catch(() => undefined);
        // Unreadable (the database is down): the last sample stays rather than a wrong one; /healthz says why.
        if (head !== undefined) this.set({ chain: ledger.chain }, head?.seq ?? 0);
      },
    });
    new Gauge({
      name: "warden_ledger_checkpoint_seq",
      help: "Seq of the chain's latest signed checkpoint (records after it are the unsealed tail)",
      labelNames: ["chain"],
      registers: [this.registry],
      async collect() {
        const head = await ledger.head().catch(() => undefined);
        if (head !== undefined) this.set({ chain: ledger.chain }, head?.checkpointSeq ?? 0);
      },
    });
    this.#unsubscribe = ledger.onAppend((records) => {
      for (const r of records) {
        this.#records.inc({ kind: r.kind });
        if (r.kind === "call.intent") {
          const read = parseRecord(r, "call.intent");
          const d = read.ok ? read.record.data.decision : null;
          this.#decisions.inc({ effect: d?.effect ?? "unknown", enforced: d?.enforced ?? "unknown" });
        }
      }
    });
  }

  /** Adds `warden_approvals_pending`: approvals waiting for a decision now. */
  trackApprovals(pending: () => number): void {
    new Gauge({
      name: "warden_approvals_pending",
      help: "Approvals waiting for a decision",
      registers: [this.registry],
      collect() {
        this.set(pending());
      },
    });
  }

  /** Adds `warden_export_lag_records{sink}`: records each export sink has not acknowledged yet. */
  trackExport(lag: () => ReadonlyMap<string, number>): void {
    new Gauge({
      name: "warden_export_lag_records",
      help: "Ledger records an export sink has not acknowledged yet",
      labelNames: ["sink"],
      registers: [this.registry],
      collect() {
        for (const [sink, value] of lag()) this.set({ sink }, value);
      },
    });
  }

  close(): void {
    this.#unsubscribe();
    this.health.close();
  }
}
