// Serves a hono app on host:port over node:http, for `warden start` and `warden mcp --listen`.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Env, Hono } from "hono";

export interface Listening {
  /** http://host:port, with an IPv6 host in brackets. */
  origin: string;
  port: number;
  /** Stops listening and drops open connections (keep-alive ones included). */
  close(): Promise<void>;
}

export async function listenApp<E extends Env>(
  app: Hono<E>,
  options: { host: string; port: number },
): Promise<Listening> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: options.host, port: options.port }, () => resolve(s));
    s.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    origin: `http://${shownHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections and open streams would hold close() open; they carry no state worth waiting for.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
