// A syslog receiver for tests: UDP datagrams, TCP and TLS with RFC 5425 octet counting; RFC 5424 and CEF parsers.
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";

export interface Syslog5424 {
  pri: number;
  version: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  sd: Record<string, Record<string, string>>;
  msg: string;
}

/** Parses one RFC 5424 message strictly; throws on anything the grammar does not allow. */
export function parse5424(text: string): Syslog5424 {
  const head = /^<(\d{1,3})>([1-9]\d{0,2}) (\S+) (\S+) (\S+) (\S+) (\S+) /.exec(text);
  if (!head) throw new Error(`not RFC 5424: ${text.slice(0, 80)}`);
  const [, pri, version, timestamp, hostname, appName, procId, msgId] = head as unknown as string[];
  if (msgId!.length > 32 || appName!.length > 48) throw new Error("field too long");
  if (timestamp !== "-" && Number.isNaN(Date.parse(timestamp!))) throw new Error("bad timestamp");
  let i = head[0].length;
  const sd: Syslog5424["sd"] = {};
  if (text[i] === "-") i++;
  else {
    while (text[i] === "[") {
      i++;
      const id = /^[^ =\]"]+/.exec(text.slice(i))![0];
      i += id.length;
      const params: Record<string, string> = {};
      while (text[i] === " ") {
        const name = /^ ([^ =\]"]+)="/.exec(text.slice(i));
        if (!name) throw new Error("bad SD-PARAM");
        i += name[0].length;
        let value = "";
        while (text[i] !== '"') {
          if (i >= text.length) throw new Error("unterminated SD-PARAM");
          if (text[i] === "\\" && '"\\]'.includes(text[i + 1] ?? "")) i++;
          value += text[i++];
        }
        i++;
        params[name[1]!] = value;
      }
      if (text[i++] !== "]") throw new Error("bad SD-ELEMENT");
      sd[id] = params;
    }
  }
  let msg = text[i] === " " ? text.slice(i + 1) : "";
  if (msg.startsWith("\ufeff")) msg = msg.slice(1);
  return {
    pri: Number(pri),
    version: Number(version),
    timestamp: timestamp!,
    hostname: hostname!,
    appName: appName!,
    procId: procId!,
    msgId: msgId!,
    sd,
    msg,
  };
}

export interface Cef {
  version: string;
  vendor: string;
  product: string;
  deviceVersion: string;
  signatureId: string;
  name: string;
  severity: string;
  ext: Record<string, string>;
}

/** Parses a CEF:0 line: seven `|`-separated header fields (\| and \\ escaped), then key=value pairs. */
export function parseCef(line: string): Cef {
  if (!line.startsWith("CEF:")) throw new Error("not CEF");
  const fields: string[] = [];
  let cur = "";
  let i = 4;
  for (; i < line.length && fields.length < 7; i++) {
    const c = line[i];
    if (c === "\\" && (line[i + 1] === "|" || line[i + 1] === "\\")) cur += line[++i];
    else if (c === "|") {
      fields.push(cur);
      cur = "";
    } else cur += c;
  }
  if (fields.length !== 7) throw new Error("CEF header needs 7 fields");
  const ext: Record<string, string> = {};
  const rest = line.slice(i);
  // A key starts after a space (or at the start) and ends at an unescaped "=".
  const keys = [...rest.matchAll(/(?:^| )([A-Za-z0-9_]+)=/g)].filter(
    (m) => !isEscaped(rest, m.index + m[0].length - 1),
  );
  keys.forEach((m, k) => {
    const start = m.index + m[0].length;
    const end = k + 1 < keys.length ? keys[k + 1]!.index : rest.length;
    ext[m[1]!] = rest
      .slice(start, end)
      .replace(/\\(.)/g, (_, ch: string) => (ch === "n" ? "\n" : ch === "r" ? "\r" : ch));
  });
  const [version, vendor, product, deviceVersion, signatureId, name, severity] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return { version, vendor, product, deviceVersion, signatureId, name, severity, ext };
}

function isEscaped(s: string, at: number): boolean {
  let n = 0;
  for (let j = at - 1; j >= 0 && s[j] === "\\"; j--) n++;
  return n % 2 === 1;
}

/** Collects messages from UDP, TCP and TLS listeners on 127.0.0.1 (random ports). */
export class SyslogReceiver {
  readonly messages: string[] = [];
  readonly errors: string[] = [];
  /** How stream messages are framed: RFC 5425 octet counting, or one per line (RFC 6587 §3.4.2). */
  framing: "octet-counting" | "newline" = "octet-counting";
  udpPort = 0;
  tcpPort = 0;
  tlsPort = 0;
  #udp: UdpSocket | null = null;
  readonly #servers: Server[] = [];
  readonly #sockets = new Set<Socket>();

  async start(tls: { key: string; cert: string }, tcpPort = 0): Promise<this> {
    const udp = createSocket("udp4");
    udp.on("message", (m) => this.messages.push(m.toString("utf8")));
    await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
    this.#udp = udp;
    this.udpPort = udp.address().port;
    this.tcpPort = await this.#listen(
      createNetServer((s) => this.#stream(s)),
      tcpPort,
    );
    this.tlsPort = await this.#listen(createTlsServer(tls, (s) => this.#stream(s)));
    return this;
  }

  async stop(): Promise<void> {
    this.#udp?.close();
    this.#udp = null;
    for (const s of this.#sockets) s.destroy();
    await Promise.all(this.#servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  }

  async #listen(server: Server, port = 0): Promise<number> {
    this.#servers.push(server);
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return (server.address() as { port: number }).port;
  }

  /** RFC 5425 framing: `MSG-LEN SP SYSLOG-MSG`, MSG-LEN counting octets. */
  #stream(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on("close", () => this.#sockets.delete(socket));
    let buf = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (this.framing === "newline") {
        for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a)) {
          this.messages.push(buf.subarray(0, nl).toString("utf8"));
          buf = buf.subarray(nl + 1);
        }
        return;
      }
      for (;;) {
        const space = buf.indexOf(0x20);
        if (space < 0) return;
        const len = Number(buf.subarray(0, space).toString("ascii"));
        if (!Number.isInteger(len) || len <= 0) {
          this.errors.push(`bad frame length ${buf.subarray(0, space).toString()}`);
          socket.destroy();
          return;
        }
        if (buf.length < space + 1 + len) return;
        this.messages.push(buf.subarray(space + 1, space + 1 + len).toString("utf8"));
        buf = buf.subarray(space + 1 + len);
      }
    });
    socket.on("error", () => undefined);
  }
}
