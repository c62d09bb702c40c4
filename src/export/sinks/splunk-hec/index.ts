// Splunk HTTP Event Collector sink: batched events to /services/collector/event, HEC status codes honoured.

import { httpPost } from "../../../webhooks/index.js";
import { type BodyFormat, formatEvent } from "../../format.js";
import { type ExportEvent, type Sink, SinkError, type SinkFactory } from "../../types.js";
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
}

// HEC codes (Splunk docs, "Troubleshoot HTTP Event Collector") after which the same data will never be
// accepted: no data (5), invalid data format (6), incorrect index (7), event field required/blank (12, 13),
// error in handling indexed fields (15).
const REFUSED_DATA = new Set([5, 6, 7, 12, 13, 15]);

/** One POST per batch: the events as concatenated JSON objects, as HEC's event endpoint takes them. */
export class SplunkHecSink implements Sink {
  readonly name: string;
  readonly #o: SplunkHecSinkOptions;
  readonly #endpoint: URL;
  readonly #aborts = new Set<AbortController>();

  constructor(options: SplunkHecSinkOptions) {
    this.name = options.name;
    this.#o = options;
    this.#endpoint = new URL(
      "services/collector/event",
      options.url.endsWith("/") ? options.url : `${options.url}/`,
    );
  }

  async send(events: ExportEvent[]): Promise<void> {
    const body = events.map((e) => JSON.stringify(this.#envelope(e))).join("\n");
    const abort = new AbortController();
    this.#aborts.add(abort);
    let res: { status: number; body: string };
    try {
      res = await httpPost(this.#endpoint, body, {
        headers: { authorization: `Splunk ${this.#o.token}`, "content-type": "application/json" },
        ca: this.#o.ca,
        timeoutMs: this.#o.timeoutMs ?? 30_000,
        signal: abort.signal,
      });
    } catch (err) {
      throw new SinkError(this.name, `POST ${this.#endpoint.origin}: ${(err as Error).message}`);
    } finally {
      this.#aborts.delete(abort);
    }
    const code = hecCode(res.body);
    if (res.status >= 200 && res.status < 300 && (code === null || code === 0)) return;
    const text = hecText(res.body);
    const detail = `HTTP ${res.status}${code === null ? "" : `, HEC code ${code}`}${text ? ` (${text})` : ""}`;
    // 400 with a data code: these events are refused for good. Token problems (1–4), busy (9) and 5xx are
    // retried until they succeed: an operator can fix a token without losing events.
    // 413: the batch is larger than the collector takes (max_content_length); alone, the event that is.
    const permanent = res.status === 413 || (res.status === 400 && (code === null || REFUSED_DATA.has(code)));
    throw new SinkError(this.name, detail, { permanent, status: res.status });
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
    token: secret(env, doc.tokenEnv ?? "SPLUNK_HEC_TOKEN", doc.name),
  });
