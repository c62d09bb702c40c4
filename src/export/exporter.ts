// The exporter: one outbox loop per configured sink, woken by the ledger, never awaited by the gate.
import type { Ledger } from "../ledger/index.js";
import type { RetryOptions } from "../webhooks/index.js";
import type { ExportDocument } from "./config.js";
import { type RunnerStats, SinkRunner } from "./runner.js";
import { DEFAULT_SEND_TIMEOUT_MS } from "./sinks/config.js";
import { createSink } from "./sinks/index.js";
import type { Sink } from "./types.js";

/** Failures in a row before the `export.stalled` alert (retrying goes on), and the back-off between them. */
export const DEFAULT_RETRY: RetryOptions = { attempts: 10, minDelayMs: 500, maxDelayMs: 60_000 };

export interface ExporterOptions {
  /** Look for other processes' appends this often (default 1000 ms). */
  pollMs?: number;
  /** How long close() lets an in-flight send finish before closing the sink under it (default 5000 ms). */
  closeGraceMs?: number;
  /** Environment for secrets the config names (default process.env). */
  env?: Record<string, string | undefined>;
}

export interface SinkSetup {
  sink: Sink;
  batchSize?: number;
  retry?: Partial<RetryOptions>;
  sendTimeoutMs?: number;
}

/**
 * Delivers the ledger to every sink. Appends only set a flag; each sink reads the store in pages on
 * its own schedule, so a slow or dead sink adds lag, never latency to a tool call.
 *
 * @example
 * const exporter = Exporter.fromConfig(warden.ledger, { sinks: [{ name: "file", type: "jsonl", path: "audit.jsonl" }] });
 * await exporter.close();
 */
export class Exporter {
  readonly #runners: SinkRunner[];
  readonly #unsubscribe: () => void;
  readonly #closeGraceMs: number;
  #closing: Promise<void> | null = null;

  constructor(ledger: Ledger, sinks: SinkSetup[], options: ExporterOptions = {}) {
    this.#closeGraceMs = options.closeGraceMs ?? 5000;
    this.#runners = sinks.map(
      (s) =>
        new SinkRunner(ledger, s.sink, {
          batchSize: s.batchSize ?? 100,
          retry: { ...DEFAULT_RETRY, ...s.retry },
          sendTimeoutMs: s.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS,
          pollMs: options.pollMs ?? 1000,
        }),
    );
    this.#unsubscribe = ledger.onAppend((records) => {
      for (const r of this.#runners) r.notify(records);
    });
  }

  /** Builds the sinks of a policy's `export:` section (secrets from `options.env`). */
  static fromConfig(ledger: Ledger, config: ExportDocument, options: ExporterOptions = {}): Exporter {
    const env = options.env ?? process.env;
    const setups = config.sinks.map((doc) => ({
      sink: createSink(doc, env),
      batchSize: doc.batchSize ?? config.batchSize,
      retry: { ...stripUndefined(toRetry(config.retry)), ...stripUndefined(toRetry(doc.retry)) },
      sendTimeoutMs: doc.sendTimeout,
    }));
    return new Exporter(ledger, setups, options);
  }

  /** Per sink: delivered, failures, dead-lettered, and lag (records not yet acknowledged). */
  stats(): Map<string, RunnerStats> {
    return new Map(this.#runners.map((r) => [r.sink.name, r.stats()]));
  }

  /** Stops every loop after its current send and closes the sinks; the ledger stays open. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#unsubscribe();
      await Promise.all(this.#runners.map((r) => r.close(this.#closeGraceMs)));
    })();
    return this.#closing;
  }
}

function toRetry(doc: ExportDocument["retry"]): Partial<RetryOptions> {
  return { attempts: doc?.attempts, minDelayMs: doc?.minDelay, maxDelayMs: doc?.maxDelay };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
