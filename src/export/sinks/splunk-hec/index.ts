// Splunk HTTP Event Collector sink: batched events to /services/collector/event, HEC status codes honoured,
// indexer acknowledgement awaited when the token has it on.

import { randomUUID } from "node:crypto";
import { httpPost, type PostAnswer, parseRetryAfter } from "../../../webhooks/index.js";
import { type BodyFormat, formatEvent } from "../../format.js";
import { type ExportEvent, type Sink, SinkError, type SinkFactory } from "../../types.js";
import { DEFAULT_SEND_TIMEOUT_MS } from "../config.js";
import { readCa, secret } from "../env.js";
import type { SplunkHecDocument } from "./config.js";

export interface SplunkHecSinkOptions {
  name: string;
  /** Base URL of the collector, e.g. https://splunk.example.com:8088 (the path is added). */
  url: string;
  token: string;
  format?: BodyFormat;
  index?: string;
  source?: string;
  sourcetype?: string;
  host?: string;
  ca?: string;
  timeoutMs?: number;
  /** How long a batch waits for its indexer acknowledgement before the send fails (and is retried). */
  ackTimeoutMs?: number;
  /** Batches sent before the earlier ones are acknowledged (default DEFAULT_BATCHES_IN_FLIGHT). */
  batchesInFlight?: number;
}

/**
 * An indexer acknowledges a batch seconds after taking it: one batch at a time, a sink of 100-event
 * batches would deliver a few dozen events a second. Splunk orders events by their time, not by arrival.
 */
const DEFAULT_BATCHES_IN_FLIGHT = 4;

/** Default wait for an indexer acknowledgement (at most two thirds of the sink's send timeout). */
const DEFAULT_ACK_TIMEOUT_MS = 20_000;
// Ack polls start quickly (a collector acknowledges within seconds) and back off to this interval.
const ACK_POLL_FIRST_MS = 100;
const ACK_POLL_MAX_MS = 2_000;

// HEC codes (Splunk docs, "Troubleshoot HTTP Event Collector") after which the same data will never be
// accepted: no data (5), invalid data format (6), incorrect index (7), event field required/blank (12, 13),
// error in handling indexed fields (15).
const REFUSED_DATA = new Set([5, 6, 7, 12, 13, 15]);

/** One POST per batch: the events as concatenated JSON objects, as HEC's event endpoint takes them. */
export class SplunkHecSink implements Sink {
  readonly name: string;
  readonly batchesInFlight: number;
  readonly #o: SplunkHecSinkOptions;
  readonly #endpoint: URL;
  readonly #ackEndpoint: URL;
  // One channel per sink: a token with indexer acknowledgement on refuses data sent without one (code 10),
  // and answers acks only on the channel the data came in on. A token without it ignores the header.
  readonly #channel = randomUUID();
  readonly #aborts = new Set<AbortController>();

  constructor(options: SplunkHecSinkOptions) {
    this.name = options.name;
    this.batchesInFlight = options.batchesInFlight ?? DEFAULT_BATCHES_IN_FLIGHT;
    this.#o = options;
    const base = options.url.endsWith("/") ? options.url : `${options.url}/`;
    this.#endpoint = new URL("services/collector/event", base);
    this.#ackEndpoint = new URL("services/collector/ack", base);
  }

  async send(events: ExportEvent[], given?: AbortSignal): Promise<void> {
    const body = events.map((e) => JSON.stringify(this.#envelope(e))).join("\n");
    const abort = new AbortController();
    this.#aborts.add(abort);
    // Closing the sink, or the exporter giving up on this send, cuts its request and its ack polls.
    const signal = given ? AbortSignal.any([abort.signal, given]) : abort.signal;
    try {
      const ackId = await this.#post(body, signal);
      // With indexer acknowledgement on, "Success" only means received: the batch counts as delivered
      // once the collector says it is indexed, else it is sent again (event ids let SIEMs de-duplicate).
      if (ackId !== null) await this.#awaitAck(ackId, signal);
    } finally {
      this.#aborts.delete(abort);
    }
  }

  /** Posts one batch; the collector's ack id when it has indexer acknowledgement on, else null. */
  async #post(body: string, signal: AbortSignal): Promise<number | null> {
    let res: PostAnswer;
    try {
      res = await httpPost(this.#endpoint, body, { ...this.#request(), signal });
    } catch (err) {
      throw new SinkError(this.name, `POST ${this.#endpoint.origin}: ${(err as Error).message}`);
    }
    const code = hecCode(res.body);
    if (res.status >= 200 && res.status < 300 && (code === null || code === 0)) {
      const ackId = parse(res.body)?.ackId;
      return typeof ackId === "number" && Number.isSafeInteger(ackId) ? ackId : null;
    }
    const text = hecText(res.body);
    const detail = `HTTP ${res.status}${code === null ? "" : `, HEC code ${code}`}${text ? ` (${text})` : ""}`;
    // 400 with a data code: these events are refused for good. Token problems (1–4), busy (9) and 5xx are
    // retried until they succeed: an operator can fix a token without losing events.
    // 413: the batch is larger than the collector takes (max_content_length); alone, the event that is.
    const permanent = res.status === 413 || (res.status === 400 && (code === null || REFUSED_DATA.has(code)));
    // A busy collector (503, 429) may say how long to leave it alone: the exporter waits that long.
    throw new SinkError(this.name, detail, {
      permanent,
      status: res.status,
      retryAfterMs: parseRetryAfter(res.retryAfter),
    });
  }

  /** Polls /services/collector/ack on this sink's channel until `ackId` is indexed or the wait ends. */
  async #awaitAck(ackId: number, signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + (this.#o.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS);
    const query = JSON.stringify({ acks: [ackId] });
    let last = "not yet indexed";
    for (let wait = ACK_POLL_FIRST_MS; ; wait = Math.min(wait * 2, ACK_POLL_MAX_MS)) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await sleep(Math.min(wait, left), signal);
      try {
        const res = await httpPost(this.#ackEndpoint, query, { ...this.#request(), signal });
        const acks = parse(res.body)?.acks;
        const status =
          acks !== null && typeof acks === "object"
            ? (acks as Record<string, unknown>)[String(ackId)]
            : undefined;
        if (res.status === 200 && status === true) return;
        last = res.status === 200 ? "not yet indexed" : `HTTP ${res.status}`;
      } catch (err) {
        if (signal.aborted)
          throw new SinkError(this.name, "stopped while waiting for indexer acknowledgement");
        last = (err as Error).message;
      }
    }
    // Not permanent: an unacknowledged batch may never have been indexed, so it is sent again.
    throw new SinkError(this.name, `no indexer acknowledgement for ack id ${ackId} (${last})`);
  }

  #request() {
    return {
      headers: {
        authorization: `Splunk ${this.#o.token}`,
        "content-type": "application/json",
        "x-splunk-request-channel": this.#channel,
      },
      ca: this.#o.ca,
      timeoutMs: this.#o.timeoutMs ?? 30_000,
    };
  }

  async close(): Promise<void> {
    for (const a of this.#aborts) a.abort();
  }

  #envelope(e: ExportEvent) {
    const o = this.#o;
    return {
      // HEC's time is epoch seconds with a fraction.
      time: Date.parse(e.ts) / 1000,
      ...(o.host ? { host: o.host } : {}),
      source: o.source ?? "warden",
      sourcetype: o.sourcetype ?? (o.format === "ocsf" ? "ocsf" : "warden:ledger"),
      ...(o.index ? { index: o.index } : {}),
      event: formatEvent(e, o.format),
      fields: { event_id: e.id, kind: e.type, chain: e.chain },
    };
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

function parse(body: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(body);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function hecCode(body: string): number | null {
  const code = parse(body)?.code;
  return typeof code === "number" ? code : null;
}

function hecText(body: string): string | null {
  const text = parse(body)?.text;
  return typeof text === "string" ? text.slice(0, 200) : null;
}

export const createSplunkHecSink: SinkFactory<SplunkHecDocument> = (doc, env) =>
  new SplunkHecSink({
    ...doc,
    ca: readCa(doc.ca),
    // The ack wait ends well within the runner's bound on the whole send.
    ackTimeoutMs:
      doc.ackTimeout ??
      Math.min(DEFAULT_ACK_TIMEOUT_MS, ((doc.sendTimeout ?? DEFAULT_SEND_TIMEOUT_MS) * 2) / 3),
    token: secret(env, doc.tokenEnv ?? "SPLUNK_HEC_TOKEN", doc.name),
  });
