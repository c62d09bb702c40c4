// The sandbox's only way out: an HTTP forward proxy (CONNECT tunnels, absolute-URI plain HTTP) that applies EgressRules.
import { chmodSync } from "node:fs";
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from "node:http";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { normalizeHost } from "../config/index.js";
import { type EgressCheck, EgressRules, type EgressRulesOptions, shownTarget } from "./egress-rules.js";
import { type EgressRefusal, type EgressViolation, SandboxError } from "./errors.js";

/** A header the proxy adds to plain-HTTP requests to `host` (exact name), replacing the client's own. */
export interface HeaderInjection {
  host: string;
  header: string;
  value: string;
}

export interface EgressProxyOptions extends EgressRulesOptions {
  /** A Unix socket (for a sandbox) or a TCP port on 127.0.0.1 (default: a random one). */
  listen?:
    | {
        socketPath: string;
        /**
         * The socket file's mode (default 0600). A gVisor sandbox's user needs 0666, safe only in a
         * folder no other user can enter.
         */
        mode?: number;
      }
    | { port?: number };
  /**
   * Plain-HTTP only: CONNECT is a blind TLS tunnel, so HTTPS requests cannot get headers without
   * terminating TLS with a per-session CA, which this proxy does not do.
   */
  inject?: readonly HeaderInjection[];
  /** Called once per refused connection or request, before the client hears the refusal; errors are ignored. */
  onViolation?: (v: EgressViolation) => void | Promise<void>;
  /** Upstream connect bound (default 10 s). */
  connectTimeoutMs?: number;
  /** A tunnel or request idle this long is closed (default 60 s). */
  idleTimeoutMs?: number;
  /** Bound on a request's header block (default 16 KiB). */
  maxHeaderBytes?: number;
  /** Client connections at once (default 256). */
  maxConnections?: number;
}

/** Where the proxy listens: `url` for clients that take a proxy URL (TCP), or `socketPath`. */
export interface ProxyAddress {
  url: string | null;
  port: number | null;
  socketPath: string | null;
}

const HOP_BY_HOP = new Set([
  "connection",
  "proxy-connection",
  "keep-alive",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const CONNECT_TARGET = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]\s]+):(\d{1,5})$/;

/**
 * An egress proxy for one sandbox (one session): every CONNECT and every absolute-URI request is checked
 * against the rules; a refusal answers 403 with an `x-warden-refusal` header, calls `onViolation`, and
 * nothing is sent upstream. Allowed targets are reached at the address that was checked, never by name
 * again. Only `http://` absolute URIs and CONNECT are served, so it is no relay to anything else.
 *
 * @example
 * const proxy = new EgressProxy({ allow: ["api.example.com"], onViolation: (v) => console.warn(v.reason) });
 * const { url } = await proxy.start(); // http://127.0.0.1:PORT, for HTTP_PROXY / HTTPS_PROXY
 * await proxy.close();
 */
export class EgressProxy {
  readonly #rules: EgressRules;
  readonly #o: EgressProxyOptions;
  readonly #inject: Map<string, { header: string; value: string }[]>;
  readonly #server: Server;
  readonly #sockets = new Set<Socket | Duplex>();
  #violations = 0;
  #closed: Promise<void> | null = null;

  constructor(options: EgressProxyOptions) {
    this.#rules = new EgressRules(options);
    this.#o = options;
    this.#inject = new Map();
    for (const i of options.inject ?? []) {
      const host = normalizeHost(i.host);
      if (host === null || !TOKEN.test(i.header) || typeof i.value !== "string" || /[\r\n\0]/.test(i.value)) {
        // Never quote the value: it is usually a credential.
        throw new SandboxError(
          "SANDBOX_INVALID",
          `header injection for "${String(i.host).slice(0, 100)}" is invalid`,
        );
      }
      const list = this.#inject.get(host) ?? [];
      list.push({ header: i.header.toLowerCase(), value: i.value });
      this.#inject.set(host, list);
    }
    const idle = options.idleTimeoutMs ?? 60_000;
    this.#server = createServer({
      maxHeaderSize: options.maxHeaderBytes ?? 16 * 1024,
      headersTimeout: Math.min(idle, 10_000),
      requestTimeout: 0, // long downloads are bounded by idleness instead
    });
    this.#server.maxConnections = options.maxConnections ?? 256;
    this.#server.on("connection", (s: Socket) => {
      this.#track(s);
      s.setTimeout(idle, () => s.destroy());
    });
    this.#server.on("connect", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#track(socket);
      this.#connect(req, socket, head).catch(() => socket.destroy());
    });
    this.#server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      this.#forward(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      });
    });
    this.#server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
      const status =
        err.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : "400 Bad Request";
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      socket.destroy();
    });
  }

  /** Refused connections so far. */
  get violations(): number {
    return this.#violations;
  }

  /** Starts listening; on a Unix socket the file is made 0600 (or `listen.mode`). */
  start(): Promise<ProxyAddress> {
    const listen = this.#o.listen ?? {};
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      const done = () => {
        this.#server.off("error", reject);
        if ("socketPath" in listen) {
          try {
            chmodSync(listen.socketPath, listen.mode ?? 0o600);
          } catch (err) {
            this.#server.close();
            return reject(err);
          }
          return resolve({ url: null, port: null, socketPath: listen.socketPath });
        }
        const addr = this.#server.address();
        const port = typeof addr === "object" && addr ? addr.port : 0;
        resolve({ url: `http://127.0.0.1:${port}`, port, socketPath: null });
      };
      if ("socketPath" in listen) this.#server.listen(listen.socketPath, done);
      else this.#server.listen(listen.port ?? 0, "127.0.0.1", done);
    });
  }

  /** Stops accepting and cuts every open connection and tunnel at once. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      for (const s of this.#sockets) s.destroy();
      this.#server.closeAllConnections();
    });
    return this.#closed;
  }

  #track(s: Socket | Duplex): void {
    this.#sockets.add(s);
    s.once("close", () => this.#sockets.delete(s));
    s.on("error", () => s.destroy());
  }

  #refuse(v: EgressViolation): void {
    this.#violations++;
    try {
      const out = this.#o.onViolation?.(v);
      if (out && typeof out.then === "function") out.then(undefined, () => undefined);
    } catch {}
  }

  async #check(host: string, port: number): Promise<EgressCheck> {
    const verdict = await this.#rules.check(host, port);
    if (!verdict.ok) this.#refuse(verdict.violation);
    return verdict;
  }

  async #connect(req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    const m = CONNECT_TARGET.exec(req.url ?? "");
    const verdict = m
      ? await this.#check(m[1]!, Number(m[2]))
      : this.#badRequest(shownTarget(String(req.url ?? "")), 0);
    if (!verdict.ok) return refuseSocket(client, verdict.violation.reason);
    if (client.destroyed) return;
    const upstream = connect({
      host: verdict.address.address,
      port: verdict.port,
      family: verdict.address.family,
    });
    this.#track(upstream);
    const connectTimer = setTimeout(() => upstream.destroy(), this.#o.connectTimeoutMs ?? 10_000);
    let connected = false;
    upstream.once("connect", () => {
      clearTimeout(connectTimer);
      connected = true;
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.setTimeout(this.#o.idleTimeoutMs ?? 60_000, () => upstream.destroy());
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.once("close", () => {
      clearTimeout(connectTimer);
      if (!connected && client.writable) {
        client.end("HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
        setTimeout(() => client.destroy(), 1000).unref();
      } else client.destroy();
    });
    client.once("close", () => upstream.destroy());
  }

  async #forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL | null = null;
    try {
      url = new URL(req.url ?? "");
    } catch {}
    const verdict =
      url === null || url.protocol !== "http:" || url.username !== "" || url.password !== ""
        ? this.#badRequest(shownTarget(url?.hostname || String(req.url ?? "")), Number(url?.port || 0))
        : await this.#check(url.hostname, Number(url.port || 80));
    if (!verdict.ok || url === null) {
      const reason = verdict.ok ? "bad_request" : verdict.violation.reason;
      res.writeHead(403, { "x-warden-refusal": reason, connection: "close", "content-type": "text/plain" });
      res.end(`refused by Warden: ${reason}\n`);
      return;
    }
    const headers = requestHeaders(req.headers);
    headers.host = url.host;
    for (const i of this.#inject.get(verdict.host) ?? []) headers[i.header] = i.value;
    const upstream = httpRequest({
      host: verdict.address.address,
      family: verdict.address.family,
      port: verdict.port,
      method: req.method,
      path: `${url.pathname}${url.search}`,
      headers,
      setHost: false,
      agent: false,
      timeout: this.#o.connectTimeoutMs ?? 10_000,
    });
    upstream.on("timeout", () => upstream.destroy(new Error("timeout")));
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502, { connection: "close" }).end();
      else res.destroy();
    });
    upstream.on("response", (up) => {
      upstream.setTimeout(this.#o.idleTimeoutMs ?? 60_000);
      res.writeHead(up.statusCode ?? 502, responseHeaders(up.headers));
      up.pipe(res);
      up.on("error", () => res.destroy());
    });
    res.on("close", () => upstream.destroy());
    req.pipe(upstream);
  }

  #badRequest(host: string, port: number): EgressCheck {
    const violation = { host, port, reason: "bad_request" as EgressRefusal };
    this.#refuse(violation);
    return { ok: false, violation };
  }
}

function refuseSocket(socket: Duplex, reason: EgressRefusal): void {
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 403 Forbidden\r\nx-warden-refusal: ${reason}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
    );
  }
  setTimeout(() => socket.destroy(), 1000).unref();
}

function requestHeaders(h: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(h.connection ?? "")
      .split(",")
      .map((s) => s.trim().toLowerCase()),
  );
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || HOP_BY_HOP.has(k) || named.has(k)) continue;
    out[k] = v;
  }
  return out;
}

function responseHeaders(h: IncomingHttpHeaders): OutgoingHttpHeaders {
  return requestHeaders(h);
}
