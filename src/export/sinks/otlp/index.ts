// OTLP/HTTP trace sink: tool calls as GenAI execute_tool spans, encoded by OpenTelemetry's own OTLP serializer.
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { httpPost, type PostAnswer, parseRetryAfter } from "../../../webhooks/index.js";
import { type ExportEvent, type Sink, SinkError, type SinkFactory } from "../../types.js";
import { secret } from "../env.js";
import type { OtlpDocument } from "./config.js";
import { toolCallSpan } from "./spans.js";

export interface OtlpSinkOptions {
  name: string;
  /** Traces endpoint, e.g. http://collector:4318/v1/traces. */
  url: string;
  headers?: Record<string, string>;
  serviceName?: string;
  /** One request, answer included (default 10 s). */
  timeoutMs?: number;
}

/**
 * Only call outcomes and refused intents become spans (one per tool call); other events are
 * acknowledged without being sent, so the cursor still moves. One POST per batch, in OTLP/JSON as
 * OpenTelemetry's serializer writes it; the exporter's runner does every retry, so a collector's
 * Retry-After (OTLP/HTTP throttling) reaches it whatever its length.
 */
export class OtlpSink implements Sink {
  readonly name: string;
  readonly #o: OtlpSinkOptions;
  readonly #url: URL;
  readonly #aborts = new Set<AbortController>();
  #ready: Promise<{ encode: (spans: ReadableSpan[]) => Uint8Array | undefined; resource: Resource }> | null =
    null;

  constructor(options: OtlpSinkOptions) {
    this.name = options.name;
    this.#o = options;
    this.#url = new URL(options.url);
  }

  async send(events: ExportEvent[], given?: AbortSignal): Promise<void> {
    this.#ready ??= this.#load();
    const { encode, resource } = await this.#ready.catch((err: unknown) => {
      this.#ready = null;
      throw new SinkError(this.name, `loading the OpenTelemetry serializer: ${(err as Error).message}`);
    });
    const spans = events.map((e) => toolCallSpan(e, resource)).filter((s): s is ReadableSpan => s !== null);
    if (spans.length === 0) return;
    const body = encode(spans);
    // The same spans encode the same way on every try: the event that cannot be is dead-lettered.
    if (body === undefined)
      throw new SinkError(this.name, "OTLP export: the spans could not be encoded", { permanent: true });
    const abort = new AbortController();
    this.#aborts.add(abort);
    let res: PostAnswer;
    try {
      // Closing the sink, or the exporter giving up on this send, cuts its request.
      res = await httpPost(this.#url, body, {
        headers: { ...this.#o.headers, "content-type": "application/json" },
        timeoutMs: this.#o.timeoutMs ?? 10_000,
        signal: given ? AbortSignal.any([abort.signal, given]) : abort.signal,
      });
    } catch (err) {
      throw new SinkError(this.name, `POST ${this.#url.origin}: ${(err as Error).message}`);
    } finally {
      this.#aborts.delete(abort);
    }
    // 2xx: taken. A partial success (some spans rejected) is 200 too, and OTLP says not to send it again.
    if (res.status >= 200 && res.status < 300) return;
    const message = statusMessage(res.body);
    // OTLP/HTTP: only 429, 502, 503 and 504 are retryable; any other 4xx or 5xx must not be retried.
    const permanent = res.status >= 400 && !RETRYABLE.has(res.status);
    throw new SinkError(this.name, `OTLP export: HTTP ${res.status}${message ? ` (${message})` : ""}`, {
      permanent,
      status: res.status,
      // OTLP/HTTP throttling: 429 or 503 with Retry-After, which the client should honour.
      retryAfterMs: parseRetryAfter(res.retryAfter),
    });
  }

  async close(): Promise<void> {
    for (const a of this.#aborts) a.abort();
  }

  async #load() {
    // Loaded on first use, so the SDK costs nothing to users without an OTLP sink.
    const [{ JsonTraceSerializer }, { resourceFromAttributes }] = await Promise.all([
      import("@opentelemetry/otlp-transformer"),
      import("@opentelemetry/resources"),
    ]);
    const resource = resourceFromAttributes({ "service.name": this.#o.serviceName ?? "warden" });
    return { encode: (spans: ReadableSpan[]) => JsonTraceSerializer.serializeRequest(spans), resource };
  }
}

/** The `message` of the google.rpc.Status an OTLP/JSON collector answers a failure with, if it has one. */
/** The answers OTLP/HTTP lets a client send again (the specification's "Retryable Response Codes"). */
const RETRYABLE = new Set([429, 502, 503, 504]);

function statusMessage(body: string): string | null {
  try {
    const message = (JSON.parse(body) as { message?: unknown } | null)?.message;
    return typeof message === "string" ? message.slice(0, 200) : null;
  } catch {
    return null;
  }
}

export const createOtlpSink: SinkFactory<OtlpDocument> = (doc, env) =>
  new OtlpSink({
    ...doc,
    headers: Object.fromEntries(
      Object.entries(doc.headersEnv ?? {}).map(([header, name]) => [header, secret(env, name, doc.name)]),
    ),
  });
