// Syslog sink: RFC 5424 messages over UDP (one per datagram), TCP or TLS (RFC 5425 octet counting, or a
// newline after each message for receivers that read lines).
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { isIP, connect as netConnect, type Socket } from "node:net";
import { hostname as osHostname } from "node:os";
import { connect as tlsConnect } from "node:tls";
import { WardenError } from "../../../errors.js";
import { formatEvent } from "../../format.js";
import { type ExportEvent, type Sink, SinkError, type SinkFactory } from "../../types.js";
import { readCa } from "../env.js";
import { toCef } from "./cef.js";
import type { SyslogDocument } from "./config.js";
import { formatSyslog, newlineFrame, octetFrame, type SyslogHeader } from "./rfc5424.js";

const UNFRAMABLE = "EUNFRAMABLE";

/** The largest UDP payload over IPv4 (65,535 less the IP and UDP headers); IPv6 allows 20 bytes more. */
const MAX_DATAGRAM = 65_507;

export interface SyslogSinkOptions {
  name: string;
  transport: "udp" | "tcp" | "tls";
  /** Stream framing; default octet counting. */
  framing?: "octet-counting" | "newline";
  host: string;
  /** Default 514 (UDP, TCP) or 6514 (TLS). */
  port?: number;
  format?: "json" | "cef" | "ocsf";
  /** Default 13 (log audit). */
  facility?: number;
  appName?: string;
  hostname?: string;
  /** CA certificates (PEM text) for TLS; default the system's. */
  ca?: string;
  serverName?: string;
  connectTimeoutMs?: number;
}

/**
 * Stream transports keep one connection and reconnect on the next send after an error; a send
 * resolves once the kernel has taken the bytes (syslog has no application-level acknowledgement).
 */
export class SyslogSink implements Sink {
  readonly name: string;
  readonly #o: SyslogSinkOptions;
  readonly #header: SyslogHeader;
  #socket: Socket | null = null;
  #udp: UdpSocket | null = null;

  constructor(options: SyslogSinkOptions) {
    this.name = options.name;
    this.#o = options;
    // The policy's schema checks these; a library caller's value is checked here, since a space or an
    // over-long field would shift every header field after it (RFC 5424 §6: APP-NAME 48, HOSTNAME 255).
    const invalid = (why: string) =>
      new WardenError("EXPORT_CONFIG_INVALID", `export sink ${options.name}: ${why}`);
    if (options.appName !== undefined && !/^[!-~]{1,48}$/.test(options.appName))
      throw invalid("appName must be 1–48 printable ASCII characters");
    if (options.hostname !== undefined && !/^[!-~]{1,255}$/.test(options.hostname))
      throw invalid("hostname must be 1–255 printable ASCII characters");
    if (
      options.facility !== undefined &&
      !(Number.isInteger(options.facility) && options.facility >= 0 && options.facility <= 23)
    )
      throw invalid("facility must be an integer from 0 to 23");
    this.#header = {
      facility: options.facility ?? 13,
      hostname: options.hostname ?? (osHostname().replace(/[^!-~]/g, "") || "-"),
      appName: options.appName ?? "warden",
      procId: String(process.pid),
    };
  }

  /** The RFC 5424 message for one event (exposed for tests and for the benchmark). */
  message(e: ExportEvent): string {
    const format = this.#o.format ?? "json";
    const msg = format === "cef" ? toCef(e) : JSON.stringify(formatEvent(e, format));
    return formatSyslog(e, msg, this.#header);
  }

  async send(events: ExportEvent[], signal?: AbortSignal): Promise<void> {
    const messages = events.map((e) => this.message(e));
    // Given up on (a receiver that stopped reading): drop the connection and the bytes still queued on
    // it, or each retry would queue the batch again behind them, in memory, and arrive as many times.
    const onAbort = () => this.#drop();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      if (this.#o.transport === "udp") await this.#sendUdp(messages);
      else await this.#sendStream(Buffer.concat(messages.map((m) => this.#frame(m))), signal);
    } catch (err) {
      // After an abort the connection is gone already; a retry may have opened the next one.
      if (!signal?.aborted) this.#drop();
      // A message too large for one datagram, or one a line cannot hold, fails the same way on every
      // attempt: dead-letter it.
      const code = (err as NodeJS.ErrnoException).code;
      const permanent = code === "EMSGSIZE" || code === UNFRAMABLE;
      throw new SinkError(this.name, `${this.#o.transport} ${this.#o.host}: ${(err as Error).message}`, {
        permanent,
      });
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async close(): Promise<void> {
    this.#drop();
  }

  #frame(message: string): Buffer {
    if (this.#o.framing !== "newline") return octetFrame(message);
    // JSON and CEF bodies escape line breaks, so only a stray one in a header field could get here.
    if (/[\r\n]/.test(message)) {
      throw Object.assign(new Error("a message holding a line break cannot be sent with newline framing"), {
        code: UNFRAMABLE,
      });
    }
    return newlineFrame(message);
  }

  /** SNI must not be an IP address (RFC 6066); the certificate is then checked against the IP. */
  #serverName(): string | undefined {
    const name = this.#o.serverName ?? this.#o.host;
    return isIP(name) ? undefined : name;
  }

  #port(): number {
    return this.#o.port ?? (this.#o.transport === "tls" ? 6514 : 514);
  }

  async #sendUdp(messages: string[]): Promise<void> {
    if (!this.#udp) {
      const udp = createSocket(this.#o.host.includes(":") ? "udp6" : "udp4");
      udp.on("error", () => this.#drop());
      this.#udp = udp;
    }
    const udp = this.#udp;
    for (const m of messages) {
      const bytes = Buffer.from(m, "utf8");
      if (bytes.length > MAX_DATAGRAM) {
        throw Object.assign(
          new Error(`a message of ${bytes.length} bytes does not fit in one UDP datagram`),
          {
            code: "EMSGSIZE",
          },
        );
      }
      await new Promise<void>((resolve, reject) =>
        udp.send(bytes, this.#port(), this.#o.host, (err) => (err ? reject(err) : resolve())),
      );
    }
  }

  async #sendStream(data: Buffer, signal: AbortSignal | undefined): Promise<void> {
    const socket = this.#socket ?? (await this.#connect());
    // Connected after the send was given up on: its retry owns the connection now.
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      socket.once("error", onError);
      socket.write(data, (err) => {
        socket.off("error", onError);
        if (err) reject(err);
        else resolve();
      });
    });
  }

  #connect(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const port = this.#port();
      const host = this.#o.host;
      const socket =
        this.#o.transport === "tls"
          ? tlsConnect({ host, port, servername: this.#serverName(), ca: this.#o.ca })
          : netConnect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error("connect timed out"));
      }, this.#o.connectTimeoutMs ?? 10_000);
      const ready = this.#o.transport === "tls" ? "secureConnect" : "connect";
      socket.once(ready, () => {
        clearTimeout(timer);
        this.#socket = socket;
        resolve(socket);
      });
      socket.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      // A server that hangs up makes the next send reconnect instead of writing into a dead socket.
      const forget = () => {
        if (this.#socket === socket) this.#socket = null;
      };
      socket.on("close", forget);
      // The server's FIN arrives before our next write: reconnect rather than write into a closing socket.
      socket.on("end", forget);
      socket.on("error", () => undefined);
      socket.on("data", () => undefined);
    });
  }

  #drop(): void {
    this.#socket?.destroy();
    this.#socket = null;
    try {
      this.#udp?.close();
    } catch {
      // Already closed by an error.
    }
    this.#udp = null;
  }
}

export const createSyslogSink: SinkFactory<SyslogDocument> = (doc) =>
  new SyslogSink({ ...doc, ca: readCa(doc.ca) });
