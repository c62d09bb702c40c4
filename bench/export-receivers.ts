// Minimal local receivers for the export benchmark: an HTTP endpoint that acknowledges, a TCP sink that discards.
import { createServer as createHttpServer } from "node:http";
import { type AddressInfo, createServer as createNetServer, type Server } from "node:net";

export interface Receiver {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Answers every POST with `status` and `body` (HEC's success answer, a webhook 204, OTLP's `{}`). */
export async function httpReceiver(status: number, body: string): Promise<Receiver> {
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(status, { "content-type": "application/json" }).end(body));
  });
  return listen(server);
}

/**
 * A HEC collector with indexer acknowledgement on, as Splunk documents it: each batch is answered with an
 * `ackId` (counted per channel), and `/services/collector/ack` says true for it `ackAfterMs` after it came.
 */
export async function hecAckReceiver(ackAfterMs: number): Promise<Receiver> {
  const taken = new Map<string, number[]>();
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const channel = String(req.headers["x-splunk-request-channel"]);
      const times = taken.get(channel) ?? [];
      taken.set(channel, times);
      res.writeHead(200, { "content-type": "application/json" });
      if (req.url?.startsWith("/services/collector/ack")) {
        const { acks } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { acks: number[] };
        const now = Date.now();
        const answer = Object.fromEntries(acks.map((id) => [id, now >= (times[id] ?? now + 1) + ackAfterMs]));
        res.end(JSON.stringify({ acks: answer }));
        return;
      }
      times.push(Date.now());
      res.end(JSON.stringify({ text: "Success", code: 0, ackId: times.length - 1 }));
    });
  });
  return listen(server);
}

/** Reads and drops everything (a syslog TCP collector that keeps up). */
export async function tcpReceiver(): Promise<Receiver> {
  return listen(createNetServer((socket) => socket.resume().on("error", () => undefined)));
}

async function listen(server: Server): Promise<Receiver> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
