// Builds a sink from its `export:` config entry, reading the secrets it names from the environment.
import { WardenError } from "../../errors.js";
import type { SinkDocument } from "../config.js";
import type { Sink } from "../types.js";
import { JsonlSink } from "./jsonl.js";
import { NatsSink } from "./nats.js";
import { OtlpSink } from "./otlp.js";
import { SplunkHecSink } from "./splunk-hec.js";
import { readCa, SyslogSink } from "./syslog.js";
import { WebhookSink } from "./webhook.js";

export { JsonlSink, type JsonlSinkOptions } from "./jsonl.js";
export { NatsSink, type NatsSinkOptions } from "./nats.js";
export { OtlpSink, type OtlpSinkOptions } from "./otlp.js";
export { SplunkHecSink, type SplunkHecSinkOptions } from "./splunk-hec.js";
export { SyslogSink, type SyslogSinkOptions } from "./syslog.js";
export { WebhookSink, type WebhookSinkOptions } from "./webhook.js";

export function createSink(doc: SinkDocument, env: Record<string, string | undefined>): Sink {
  switch (doc.type) {
    case "jsonl":
      return new JsonlSink({
        name: doc.name,
        path: doc.path,
        format: doc.format,
        maxBytes: doc.maxBytes,
        maxAgeMs: doc.maxAge,
      });
    case "syslog":
      return new SyslogSink({ ...doc, ca: readCa(doc.ca) });
    case "splunk-hec":
      return new SplunkHecSink({
        ...doc,
        ca: readCa(doc.ca),
        token: secret(env, doc.tokenEnv ?? "SPLUNK_HEC_TOKEN", doc.name),
      });
    case "webhook":
      return new WebhookSink({
        ...doc,
        secret: secret(env, doc.secretEnv ?? "WARDEN_WEBHOOK_SECRET", doc.name),
      });
    case "nats":
      return new NatsSink({ ...doc, token: doc.tokenEnv ? secret(env, doc.tokenEnv, doc.name) : undefined });
    case "otlp":
      return new OtlpSink({
        ...doc,
        headers: Object.fromEntries(
          Object.entries(doc.headersEnv ?? {}).map(([header, name]) => [header, secret(env, name, doc.name)]),
        ),
      });
  }
}

/** The value of env variable `name`; the error names the variable, never a value. */
function secret(env: Record<string, string | undefined>, name: string, sink: string): string {
  const value = env[name];
  if (!value) {
    throw new WardenError(
      "EXPORT_CONFIG_INVALID",
      `export sink ${sink}: environment variable ${name} is not set`,
    );
  }
  return value;
}
