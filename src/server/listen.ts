// Serves a hono app on host:port over node:http, for `warden start` and `warden mcp --listen`.
import type { ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { serve } from "@hono/node-server";
import type { Env, Hono } from "hono";

export interface Listening {
  /** http://host:port, with an IPv6 host in brackets. */
  origin: string;
  port: number;
  /** Stops listening and drops open connections (keep-alive ones included). */
  close(): Promise<void>;
}

/** What one client can hold of a listener before it has sent a whole request. */
export interface ConnectionLimits {
  /**
   * Open connections at most. Past it, a new connection takes the place of the one that has waited
   * longest without a request in progress (idle keep-alive, or headers still coming); when every one
   * is busy, the new one is closed. Below the process's file limit, so the ledger and the MCP upstreams
   * always get theirs.
   */
  maxConnections: number;
  /** Time a client has to send a request's headers (a slowloris sending them a byte at a time is cut). */
  headersTimeoutMs: number;
  /**
   * Time a client has to send a whole request, body included. Only the request: a long poll or a stream
   * it is answered with is not cut.
   */
  requestTimeoutMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: 4_096,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
};

export async function listenApp<E extends Env>(
  app: Hono<E>,
  options: { host: string; port: number; connections?: Partial<ConnectionLimits> },
): Promise<Listening> {
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.connections };
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve(
      {
        fetch: app.fetch,
        hostname: options.host,
        port: options.port,
        serverOptions: {
          headersTimeout: limits.headersTimeoutMs,
          requestTimeout: Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs),
          // How often node looks for connections past those timeouts (default 30 s, longer than they are).
          connectionsCheckingInterval: Math.max(100, Math.min(1_000, limits.headersTimeoutMs / 2)),
        },
      },
      () => resolve(s),
    );
    s.once("error", reject);
  });
  boundConnections(server, limits.maxConnections);
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

/**
 * Keeps at most `max` connections open. A connection without a request in progress costs nothing to
 * close (a client reconnects), so connections opened and left idle, by anyone, never lock others out.
 */
function boundConnections(server: ReturnType<typeof serve>, max: number): void {
  /** Requests in progress per open connection. */
  const busy = new Map<Socket, number>();
  /** Open connections with no request in progress, the longest idle first. */
  const idle = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    if (busy.size >= max) {
      const oldest = idle.values().next().value;
      if (oldest === undefined) {
        socket.destroy();
        return;
      }
      idle.delete(oldest);
      busy.delete(oldest);
      oldest.destroy();
    }
    busy.set(socket, 0);
    idle.add(socket);
    socket.once("close", () => {
      busy.delete(socket);
      idle.delete(socket);
    });
  });
  server.on("request", (req: { socket: Socket }, res: ServerResponse) => {
    const socket = req.socket;
    const n = busy.get(socket);
    if (n === undefined) return;
    busy.set(socket, n + 1);
    idle.delete(socket);
    res.once("close", () => {
      const open = busy.get(socket);
      // Gone already: the connection closed, or was cut to make room.
      if (open === undefined) return;
      const left = open - 1;
      busy.set(socket, left);
      if (left === 0) idle.add(socket);
    });
  });
}
