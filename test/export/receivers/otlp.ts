// An OTLP/HTTP trace receiver for tests: POST /v1/traces with JSON bodies, decoded into flat spans.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes: { key: string; value: AnyValue }[];
  status: { code?: number; message?: string };
}
interface OtlpBody {
  resourceSpans: {
    resource: { attributes: { key: string; value: AnyValue }[] };
    scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[];
  }[];
}

export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, string | number | boolean>;
  status: number;
  service: string;
}

export class OtlpReceiver {
  readonly spans: Span[] = [];
  readonly contentTypes: string[] = [];
  status = 200;
  /**
   * Answers for the next posts, in turn, before `status` applies again (e.g. a 429 with a Retry-After,
   * its value made when the answer is: an HTTP-date is then relative to the answer).
   */
  readonly answers: { status: number; retryAfter?: () => string }[] = [];
  /** When each post to /v1/traces arrived (performance.now()), whatever the answer. */
  readonly posts: number[] = [];
  port = 0;
  readonly #server: Server;

  constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.contentTypes.push(String(req.headers["content-type"]));
        if (req.url !== "/v1/traces") {
          res.writeHead(404).end();
          return;
        }
        this.posts.push(performance.now());
        const { status, retryAfter } = this.answers.shift() ?? { status: this.status };
        if (status !== 200) {
          res.writeHead(status, retryAfter === undefined ? {} : { "retry-after": retryAfter() }).end();
          return;
        }
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as OtlpBody;
        for (const rs of body.resourceSpans) {
          const service = String(value(rs.resource.attributes.find((a) => a.key === "service.name")?.value));
          for (const ss of rs.scopeSpans) for (const s of ss.spans) this.spans.push(flatten(s, service));
        }
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/traces`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

function value(v: AnyValue | undefined): string | number | boolean {
  if (v?.stringValue !== undefined) return v.stringValue;
  if (v?.intValue !== undefined) return Number(v.intValue);
  return v?.boolValue ?? "";
}

function flatten(s: OtlpSpan, service: string): Span {
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId ?? "",
    name: s.name,
    kind: s.kind,
    startNs: BigInt(s.startTimeUnixNano),
    endNs: BigInt(s.endTimeUnixNano),
    attributes: Object.fromEntries(s.attributes.map((a) => [a.key, value(a.value)])),
    status: s.status.code ?? 0,
    service,
  };
}
