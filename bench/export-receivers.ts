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
