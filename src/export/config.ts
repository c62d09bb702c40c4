// The policy file's `export:` section: which sinks, how to reach them, batching and retries (zod, strict).
import * as z from "zod";
import { retry } from "./sinks/config.js";
import { jsonlSchema } from "./sinks/jsonl/config.js";
import { natsSchema } from "./sinks/nats/config.js";
import { otlpSchema } from "./sinks/otlp/config.js";
import { splunkHecSchema } from "./sinks/splunk-hec/config.js";
import { syslogSchema } from "./sinks/syslog/config.js";
import { webhookSchema } from "./sinks/webhook/config.js";

/**
 * Every sink type's schema: registering a sink is adding it here (its factory in sinks/index.ts is then
 * required by the compiler). The order is the order an unknown type's error lists the types in.
 */
export const SINK_SCHEMAS = [
  jsonlSchema,
  syslogSchema,
  splunkHecSchema,
  webhookSchema,
  natsSchema,
  otlpSchema,
] as const;

export const exportSchema = z
  .strictObject({
    batchSize: z.int().min(1).max(10_000).optional(),
    retry: retry.optional(),
    sinks: z.array(z.discriminatedUnion("type", SINK_SCHEMAS)).min(1),
  })
  .refine((e) => new Set(e.sinks.map((s) => s.name)).size === e.sinks.length, {
    error: "sink names must be unique (each keeps its own cursor)",
  });

export type ExportDocument = z.output<typeof exportSchema>;
export type SinkDocument = ExportDocument["sinks"][number];
export type SinkType = SinkDocument["type"];
export type SinkOfType<T extends SinkType> = Extract<SinkDocument, { type: T }>;
