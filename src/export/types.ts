// The export contract: the event a sink receives, the Sink interface every backend implements, sink errors.
import { WardenError } from "../errors.js";
import type { JsonObject } from "../json.js";
import type { RecordKind } from "../ledger/index.js";

/**
 * One ledger record (or signed checkpoint) as it leaves Warden. `id` is stable across retries and
 * restarts (`<chain>:<seq>`, `<chain>:checkpoint:<seq>` for checkpoints), so a receiver de-duplicates on it.
 */
export interface ExportEvent {
  id: string;
  type: RecordKind | "checkpoint";
  chain: string;
  seq: number;
  ts: string;
  /** The record's chain hash (for a checkpoint: the hash it signs). */
  hash: string;
  session: string | null;
  agent: string | null;
  callId: string | null;
  /** The record's fields; for a checkpoint `{ signature, keyId }`, plus `{ v, chains, cadence }` from format 2. */
  data: JsonObject;
}

/**
 * A destination. `send` resolves once the receiver has taken every event (as far as the transport can
 * tell) and rejects otherwise; the exporter retries the whole batch, so a sink may deliver twice.
 * `signal` aborts when the exporter gave up on the send (its `sendTimeout` passed): a sink stops what
 * is still in flight, so a slow receiver is not sent each retry on top of the attempts before it.
 */
export interface Sink {
  readonly name: string;
  /**
   * How many batches of one chain it takes at once (default 1: each waits for the one before). Above
   * 1, a receiver slow to confirm (a Splunk indexer acknowledgement) confirms several at a time, and
   * batches may arrive out of chain order; the cursor still moves only over a prefix confirmed whole.
   */
  readonly batchesInFlight?: number;
  send(events: ExportEvent[], signal?: AbortSignal): Promise<void>;
  /** Releases sockets and files; an in-flight send may reject. */
  close(): Promise<void>;
}

/**
 * A failed delivery. `permanent`: retrying the same events cannot help (the receiver refused the data).
 * `accepted`: the positions in the batch of the events the receiver did take (a sink sending events one
 * by one knows); the exporter sends only the others again, so one failing event in a hundred does not
 * send the other ninety-nine again and again, and a receiver that fails one request in n is never sent
 * the same n events over and over.
 * `retryAfterMs`: how long the receiver asked to be left alone (an HTTP Retry-After, read with
 * `parseRetryAfter`); the exporter waits at least that long before the next attempt, at most its
 * retry `maxDelay`. Null: the receiver named no wait, the exporter's back-off alone decides.
 */
export class SinkError extends WardenError {
  readonly permanent: boolean;
  accepted: ReadonlySet<number> = new Set();
  retryAfterMs: number | null;

  constructor(
    sink: string,
    message: string,
    options: { permanent?: boolean; status?: number; retryAfterMs?: number | null } = {},
  ) {
    super("EXPORT_SINK_FAILED", `export sink ${sink}: ${message}`, {
      sink,
      ...(options.status === undefined ? {} : { status: options.status }),
    });
    this.name = "SinkError";
    this.permanent = options.permanent ?? false;
    this.retryAfterMs = options.retryAfterMs ?? null;
  }
}

/** Builds a sink from its `export:` entry; the secrets the entry names are read from `env`, never the policy. */
export type SinkFactory<D> = (doc: D, env: Record<string, string | undefined>) => Sink;
