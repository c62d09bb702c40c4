// OTLP/HTTP trace sink: tool calls as GenAI execute_tool spans, sent with the official OpenTelemetry exporter.
import type { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
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
  timeoutMs?: number;
}

/**
 * Only call outcomes and refused intents become spans (one per tool call); other events are
 * acknowledged without being sent, so the cursor still moves.
 */
export class OtlpSink implements Sink {
  readonly name: string;
  readonly #o: OtlpSinkOptions;
  #ready: Promise<{ exporter: OTLPTraceExporter; resource: Resource }> | null = null;

  constructor(options: OtlpSinkOptions) {
    this.name = options.name;
    this.#o = options;
  }

  async send(events: ExportEvent[]): Promise<void> {
    this.#ready ??= this.#load();
    const { exporter, resource } = await this.#ready.catch((err: unknown) => {
      this.#ready = null;
      throw new SinkError(this.name, `loading the OpenTelemetry exporter: ${(err as Error).message}`);
    });
    const spans = events.map((e) => toolCallSpan(e, resource)).filter((s): s is ReadableSpan => s !== null);
    if (spans.length === 0) return;
    const result = await new Promise<{ code: number; error?: Error }>((resolve) =>
      exporter.export(spans, resolve),
    );
    // ExportResultCode.SUCCESS is 0.
    if (result.code !== 0) {
      const status = (result.error as { code?: unknown } | undefined)?.code;
      // OTLP/HTTP: a 4xx other than 408 and 429 must not be retried (the collector refused the data).
      const permanent =
        typeof status === "number" && status >= 400 && status < 500 && status !== 408 && status !== 429;
      throw new SinkError(this.name, `OTLP export: ${result.error?.message ?? "failed"}`, {
        permanent,
        ...(typeof status === "number" ? { status } : {}),
      });
    }
  }

  async close(): Promise<void> {
    const ready = this.#ready;
    this.#ready = null;
    await (await ready?.catch(() => null))?.exporter.shutdown().catch(() => undefined);
  }

  async #load() {
    // Loaded on first use, so the SDK costs nothing to users without an OTLP sink.
    const [{ OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
      import("@opentelemetry/exporter-trace-otlp-http"),
      import("@opentelemetry/resources"),
    ]);
    const exporter = new OTLPTraceExporter({
      url: this.#o.url,
      headers: this.#o.headers ?? {},
      timeoutMillis: this.#o.timeoutMs ?? 10_000,
    });
    const resource = resourceFromAttributes({ "service.name": this.#o.serviceName ?? "warden" });
    return { exporter, resource };
  }
}

export const createOtlpSink: SinkFactory<OtlpDocument> = (doc, env) =>
  new OtlpSink({
    ...doc,
    headers: Object.fromEntries(
      Object.entries(doc.headersEnv ?? {}).map(([header, name]) => [header, secret(env, name, doc.name)]),
    ),
  });
