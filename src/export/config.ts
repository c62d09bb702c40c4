// The policy file's `export:` section: which sinks, how to reach them, batching and retries (zod, strict).
import * as z from "zod";
import { durationField, envName, httpUrl } from "../config/index.js";

const duration = durationField("500ms, 10s, 1m");

const retry = z.strictObject({
  attempts: z.int().min(1).max(1000).optional(),
  minDelay: duration.optional(),
  maxDelay: duration.optional(),
});

const format = z.enum(["json", "ocsf"]);
const common = {
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, "a sink name uses only letters, digits and _ . -"),
  batchSize: z.int().min(1).max(10_000).optional(),
  retry: retry.optional(),
  sendTimeout: duration.optional(),
};

const jsonl = z.strictObject({
  ...common,
  type: z.literal("jsonl"),
  path: z.string().min(1),
  format: format.optional(),
  /** Rotate when the file would grow past this many bytes … */
  maxBytes: z.int().min(1024).optional(),
  /** … or once it is this old. */
  maxAge: duration.optional(),
});

const syslog = z.strictObject({
  ...common,
  type: z.literal("syslog"),
  transport: z.enum(["udp", "tcp", "tls"]),
  host: z.string().min(1),
  port: z.int().min(1).max(65535).optional(),
  format: z.enum(["json", "cef", "ocsf"]).optional(),
  facility: z.int().min(0).max(23).optional(),
  appName: z
    .string()
    .regex(/^[!-~]{1,48}$/, "1–48 printable ASCII characters")
    .optional(),
  hostname: z
    .string()
    .regex(/^[!-~]{1,255}$/, "1–255 printable ASCII characters")
    .optional(),
  /** PEM file of the CA that signed the server certificate (TLS); default: the system's CAs. */
  ca: z.string().min(1).optional(),
  serverName: z.string().min(1).optional(),
});

const splunkHec = z.strictObject({
  ...common,
  type: z.literal("splunk-hec"),
  url: httpUrl("url"),
  tokenEnv: envName.optional(),
  format: format.optional(),
  index: z.string().min(1).optional(),
  source: z.string().min(1).optional(),
  sourcetype: z.string().min(1).optional(),
  host: z.string().min(1).optional(),
  ca: z.string().min(1).optional(),
});

const webhook = z.strictObject({
  ...common,
  type: z.literal("webhook"),
  url: httpUrl("url"),
  secretEnv: envName.optional(),
  format: format.optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

const nats = z.strictObject({
  ...common,
  type: z.literal("nats"),
  servers: z.array(z.string().min(1)).min(1),
  subjectPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, "dot-separated subject tokens")
    .optional(),
  stream: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, "a JetStream stream name")
    .optional(),
  format: format.optional(),
  tokenEnv: envName.optional(),
});

const otlp = z.strictObject({
  ...common,
  type: z.literal("otlp"),
  url: httpUrl("url"),
  serviceName: z.string().min(1).optional(),
  /** Header name → env variable holding its value (e.g. an API key); values never sit in the policy. */
  headersEnv: z.record(z.string(), envName).optional(),
});

const sink = z.discriminatedUnion("type", [jsonl, syslog, splunkHec, webhook, nats, otlp]);

export const exportSchema = z
  .strictObject({
    batchSize: z.int().min(1).max(10_000).optional(),
    retry: retry.optional(),
    sinks: z.array(sink).min(1),
  })
  .refine((e) => new Set(e.sinks.map((s) => s.name)).size === e.sinks.length, {
    error: "sink names must be unique (each keeps its own cursor)",
  });

export type ExportDocument = z.output<typeof exportSchema>;
export type SinkDocument = ExportDocument["sinks"][number];
export type SinkOfType<T extends SinkDocument["type"]> = Extract<SinkDocument, { type: T }>;
