// Signed webhook sink: one POST per event, signed per Standard Webhooks (webhook-id = the stable event id).
import { WardenError } from "../../../errors.js";
import { SignedWebhook } from "../../../webhooks/index.js";
import { type BodyFormat, formatEvent } from "../../format.js";
import { type ExportEvent, type Sink, SinkError, type SinkFactory } from "../../types.js";
import { secret } from "../env.js";
import type { WebhookDocument } from "./config.js";

export interface WebhookSinkOptions {
  name: string;
  url: string;
  /** Standard Webhooks secret: `whsec_<base64>` (the prefix is optional), at least 16 bytes. */
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
 * for good (it is dead-lettered at once); anything else is retried by the exporter, after the longest
 * Retry-After the batch's answers asked for. The receiver de-duplicates on `webhook-id`, which is the
 * same on every retry and after a restart.
 */
export class WebhookSink implements Sink {
  readonly name: string;
  readonly #o: WebhookSinkOptions;
  readonly #hook: SignedWebhook;
  readonly #aborts = new Set<AbortController>();

  constructor(options: WebhookSinkOptions) {
    this.name = options.name;
    this.#o = options;
    this.#hook = new SignedWebhook(
      options,
      (why) => new WardenError("EXPORT_CONFIG_INVALID", `export sink ${options.name}: ${why}`),
    );
  }

  async send(events: ExportEvent[], signal?: AbortSignal): Promise<void> {
    const limit = Math.max(1, this.#o.concurrency ?? 8);
    let next = 0;
    let failure: unknown = null;
    // The longest wait any answer of the batch asked for: the requests in flight when the first
    // failed may have been throttled too, and each such answer is the receiver speaking.
    let retryAfterMs: number | null = null;
    const taken = events.map(() => false);
    const worker = async () => {
      // Once the exporter gave up on this send, no further event of it is posted.
      while (failure === null && next < events.length && !signal?.aborted) {
        const i = next++;
        await this.#post(events[i]!, signal).then(
          () => {
            taken[i] = true;
          },
          (err: unknown) => {
            failure ??= err;
            const asked = err instanceof SinkError ? err.retryAfterMs : null;
            if (asked !== null) retryAfterMs = Math.max(retryAfterMs ?? 0, asked);
          },
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, events.length) }, worker));
    if (failure === null && !signal?.aborted) return;
    const err = failure ?? new SinkError(this.name, "send aborted");
    if (err instanceof SinkError) {
      // The events the receiver took need not be sent again.
      err.accepted = new Set(taken.flatMap((took, i) => (took ? [i] : [])));
      err.retryAfterMs = retryAfterMs;
    }
    throw err;
  }

  async close(): Promise<void> {
    for (const a of this.#aborts) a.abort();
  }

  async #post(e: ExportEvent, signal: AbortSignal | undefined): Promise<void> {
    const payload = JSON.stringify({
      type: `warden.${e.type}`,
      timestamp: e.ts,
      data: formatEvent(e, this.#o.format),
    });
    const abort = new AbortController();
    this.#aborts.add(abort);
    try {
      const sent = await this.#hook.post(e.id, payload, {
        timeoutMs: this.#o.timeoutMs ?? 30_000,
        abort: signal ? AbortSignal.any([abort.signal, signal]) : abort.signal,
      });
      if (sent.delivered) return;
      if (sent.httpStatus === null)
        throw new SinkError(this.name, `POST ${this.#hook.url.origin}: ${sent.error}`);
      throw new SinkError(this.name, `event ${e.id}: HTTP ${sent.httpStatus}`, {
        permanent: !sent.retryable,
        status: sent.httpStatus,
        retryAfterMs: sent.retryAfterMs,
      });
    } finally {
      this.#aborts.delete(abort);
    }
  }
}

export const createWebhookSink: SinkFactory<WebhookDocument> = (doc, env) =>
  new WebhookSink({ ...doc, secret: secret(env, doc.secretEnv ?? "WARDEN_WEBHOOK_SECRET", doc.name) });
