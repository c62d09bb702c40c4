// Signed webhook sink: one POST per event, signed per Standard Webhooks (webhook-id = the stable event id).
import { Webhook } from "standardwebhooks";
import { type BodyFormat, formatEvent } from "../format.js";
import { type ExportEvent, type Sink, SinkError } from "../types.js";
import { httpPost } from "./http.js";

export interface WebhookSinkOptions {
  name: string;
  url: string;
  /** Standard Webhooks secret: base64, optionally prefixed `whsec_`. */
  secret: string;
  format?: BodyFormat;
  headers?: Record<string, string>;
  ca?: string;
  timeoutMs?: number;
  /** Requests in flight at once within a batch (default 8). */
  concurrency?: number;
}

/**
 * A 2xx answer acknowledges an event. 4xx other than 408/429 means the receiver refuses that event
 * for good (it is dead-lettered at once); anything else is retried. The receiver de-duplicates on
 * `webhook-id`, which is the same on every retry and after a restart.
 */
export class WebhookSink implements Sink {
  readonly name: string;
  readonly #o: WebhookSinkOptions;
  readonly #signer: Webhook;
  readonly #url: URL;
  readonly #aborts = new Set<AbortController>();

  constructor(options: WebhookSinkOptions) {
    this.name = options.name;
    this.#o = options;
    this.#signer = new Webhook(options.secret);
    this.#url = new URL(options.url);
  }

  async send(events: ExportEvent[]): Promise<void> {
    const limit = Math.max(1, this.#o.concurrency ?? 8);
    let next = 0;
    let failure: unknown = null;
    const worker = async () => {
      while (failure === null && next < events.length) {
        const event = events[next++]!;
        await this.#post(event).catch((err: unknown) => {
          failure ??= err;
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, events.length) }, worker));
    if (failure !== null) throw failure;
  }

  async close(): Promise<void> {
    for (const a of this.#aborts) a.abort();
  }

  async #post(e: ExportEvent): Promise<void> {
    const payload = JSON.stringify({
      type: `warden.${e.type}`,
      timestamp: e.ts,
      data: formatEvent(e, this.#o.format),
    });
    const now = new Date();
    const headers = {
      ...this.#o.headers,
      "content-type": "application/json",
      "webhook-id": e.id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": this.#signer.sign(e.id, now, payload),
    };
    const abort = new AbortController();
    this.#aborts.add(abort);
    let status: number;
    try {
      status = (
        await httpPost(this.#url, payload, {
          headers,
          ca: this.#o.ca,
          timeoutMs: this.#o.timeoutMs ?? 30_000,
          signal: abort.signal,
        })
      ).status;
    } catch (err) {
      throw new SinkError(this.name, `POST ${this.#url.origin}: ${(err as Error).message}`);
    } finally {
      this.#aborts.delete(abort);
    }
    if (status >= 200 && status < 300) return;
    const permanent = status >= 400 && status < 500 && status !== 408 && status !== 429;
    throw new SinkError(this.name, `event ${e.id}: HTTP ${status}`, { permanent, status });
  }
}
