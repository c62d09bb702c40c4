// Builds a sink from its `export:` config entry: one factory per sink type, each in its own folder.
import type { SinkDocument, SinkOfType, SinkType } from "../config.js";
import type { Sink, SinkFactory } from "../types.js";
import { createJsonlSink } from "./jsonl/index.js";
import { createNatsSink } from "./nats/index.js";
import { createOtlpSink } from "./otlp/index.js";
import { createSplunkHecSink } from "./splunk-hec/index.js";
import { createSyslogSink } from "./syslog/index.js";
import { createWebhookSink } from "./webhook/index.js";

export { JsonlSink, type JsonlSinkOptions } from "./jsonl/index.js";
export { NatsSink, type NatsSinkOptions } from "./nats/index.js";
export { OtlpSink, type OtlpSinkOptions } from "./otlp/index.js";
export { SplunkHecSink, type SplunkHecSinkOptions } from "./splunk-hec/index.js";
export { SyslogSink, type SyslogSinkOptions } from "./syslog/index.js";
export { WebhookSink, type WebhookSinkOptions } from "./webhook/index.js";

/** The factory of every type in SINK_SCHEMAS (export/config.ts); the compiler refuses a missing or extra one. */
export const SINK_FACTORIES = {
  jsonl: createJsonlSink,
  syslog: createSyslogSink,
  "splunk-hec": createSplunkHecSink,
  webhook: createWebhookSink,
  nats: createNatsSink,
  otlp: createOtlpSink,
} satisfies { [T in SinkType]: SinkFactory<SinkOfType<T>> };

export function createSink(doc: SinkDocument, env: Record<string, string | undefined>): Sink {
  // The map pairs each type with its factory; TypeScript cannot follow that pairing through `doc.type`.
  const factory = SINK_FACTORIES[doc.type] as SinkFactory<typeof doc>;
  return factory(doc, env);
}
