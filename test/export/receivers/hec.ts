// A Splunk HEC receiver for tests: /services/collector/event with HEC's documented answers and codes, and
// indexer acknowledgement as Splunk documents it (a channel per client, ackId per batch, /services/collector/ack).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface HecEvent {
  time: number;
  source: string;
  sourcetype: string;
  event: { id: string; type: string; [k: string]: unknown };
  fields: { event_id: string };
}

export type HecMode = "ok" | "busy" | "hang" | "disabled";

/** Answers as Splunk does; `refuse(event)` makes a batch holding that event fail with code 6. */
export class HecReceiver {
  readonly events: HecEvent[] = [];
  mode: HecMode = "ok";
  requests = 0;
  /** Answer this many more event posts busy (503, code 9) whatever the mode. */
  busyNext = 0;
  /** A Retry-After value sent with every busy answer (e.g. "1", or an HTTP-date). */
  retryAfter: string | undefined;
  /** When each post to the event endpoint arrived (performance.now()), whatever the answer. */
  readonly eventPosts: number[] = [];
  refuse: (e: HecEvent) => boolean = () => false;
  /** Splunk's `max_content_length`: a larger request is answered 413, as Splunk does. */
  maxContentLength = Number.POSITIVE_INFINITY;
  /** The token has indexer acknowledgement on: data needs a channel, each batch gets an ackId. */
  useAck = false;
  /** With `useAck`: a batch is acknowledged this long after it arrived. */
  ackAfterMs = 0;
  /** With `useAck`: the collector loses this batch (by its ackId) after answering Success: never acknowledged. */
  lose: (ackId: number) => boolean = () => false;
  ackQueries = 0;
  /** With `useAck`: the most batches taken at one time that no ack query had yet been told were indexed. */
  maxUnconfirmed = 0;
  readonly #unconfirmed = new Set<string>();
  readonly channels = new Set<string>();
  readonly #acks = new Map<string, { at: number; lost: boolean }>();
  readonly #nextAck = new Map<string, number>();
  readonly #server: Server;
  readonly #token: string;
  port = 0;

  constructor(token: string) {
    this.#token = token;
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.requests++;
        if (this.mode === "hang") return;
        const answer = (status: number, text: string, code: number) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify({ text, code }));
        };
        const path = req.url?.split("?")[0];
        if (path !== "/services/collector/event" && path !== "/services/collector/ack")
          return answer(404, "Not Found", 404);
        const auth = req.headers.authorization;
        if (!auth) return answer(401, "Token is required", 2);
        if (auth !== `Splunk ${this.#token}`) return answer(403, "Invalid token", 4);
        if (this.mode === "disabled") return answer(403, "Token disabled", 1);
        const channel = req.headers["x-splunk-request-channel"];
        if (this.useAck) {
          if (typeof channel !== "string") return answer(400, "Data channel is missing", 10);
          if (!GUID.test(channel)) return answer(400, "Invalid data channel", 11);
          this.channels.add(channel);
        }
        if (path === "/services/collector/ack") {
          if (!this.useAck) return answer(400, "ACK is disabled", 14);
          this.ackQueries++;
          const query = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { acks: number[] };
          const acks: Record<string, boolean> = {};
          for (const id of query.acks) {
            const ack = this.#acks.get(`${channel}:${id}`);
            acks[id] = ack !== undefined && !ack.lost && Date.now() >= ack.at + this.ackAfterMs;
            if (acks[id]) this.#unconfirmed.delete(`${channel}:${id}`);
          }
          res.writeHead(200, { "content-type": "application/json" });
          return res.end(JSON.stringify({ acks }));
        }
        this.eventPosts.push(performance.now());
        if (this.mode === "busy" || this.busyNext > 0) {
          this.busyNext = Math.max(0, this.busyNext - 1);
          if (this.retryAfter !== undefined) res.setHeader("retry-after", this.retryAfter);
          return answer(503, "Server is busy", 9);
        }
        const body = Buffer.concat(chunks);
        if (body.length > this.maxContentLength) {
          res.writeHead(413, { "content-type": "text/plain" });
          return res.end(`Content-Length of ${body.length} too large (maximum is ${this.maxContentLength})`);
        }
        const batch = parseConcatenated(body.toString("utf8"));
        if (batch === null || batch.length === 0) return answer(400, "Invalid data format", 6);
        if (batch.some((e) => e.event === undefined)) return answer(400, "Event field is required", 12);
        if (batch.some((e) => this.refuse(e))) return answer(400, "Invalid data format", 6);
        if (!this.useAck) {
          this.events.push(...batch);
          return answer(200, "Success", 0);
        }
        const ackId = this.#nextAck.get(channel as string) ?? 0;
        this.#nextAck.set(channel as string, ackId + 1);
        const lost = this.lose(ackId);
        this.#acks.set(`${channel}:${ackId}`, { at: Date.now(), lost });
        this.#unconfirmed.add(`${channel}:${ackId}`);
        this.maxUnconfirmed = Math.max(this.maxUnconfirmed, this.#unconfirmed.size);
        if (!lost) this.events.push(...batch);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ text: "Success", code: 0, ackId }));
      });
    });
  }

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(port, "127.0.0.1", resolve));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  ids(): string[] {
    return this.events.map((e) => e.fields.event_id);
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** HEC bodies are JSON objects one after another, with or without whitespace between them. */
function parseConcatenated(text: string): HecEvent[] | null {
  const out: HecEvent[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") {
      if (depth++ === 0) start = i;
    } else if (c === "}" && --depth === 0) {
      try {
        out.push(JSON.parse(text.slice(start, i + 1)) as HecEvent);
      } catch {
        return null;
      }
    } else if (depth === 0 && !/\s/.test(c ?? "")) return null;
  }
  return depth === 0 ? out : null;
}
