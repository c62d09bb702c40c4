// Serves a hono app on host:port over node:http, for `warden start` and `warden mcp --listen`.
import type { ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { serve } from "@hono/node-server";
import type { Env, Hono } from "hono";
import { formatDuration } from "../config/index.js";
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from "./config.js";

export interface Listening {
  /** http://host:port, with an IPv6 host in brackets. */
  origin: string;
  port: number;
  /** The connection limits it keeps, fixed when it started. */
  connections: ConnectionLimits;
  /** Stops listening and drops open connections (keep-alive ones included). */
  close(): Promise<void>;
}

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
    connections: limits,
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

const SETTING_NAMES: [keyof ConnectionLimits, string][] = [
  ["maxConnections", "maxConnections"],
  ["headersTimeoutMs", "headersTimeout"],
  ["requestTimeoutMs", "requestTimeout"],
];

/**
 * What a listener started with `running` would keep of `wanted` (the policy's now) until a restart:
 * one `section.key (old → new)` per setting that differs, in the policy's words. Empty when none does.
 * @example
 * connectionChanges("server", DEFAULT_CONNECTION_LIMITS, { maxConnections: 100 });
 * // ["server.maxConnections (4096 → 100)"]
 */
export function connectionChanges(
  section: string,
  running: ConnectionLimits,
  wanted: Partial<ConnectionLimits>,
): string[] {
  const next = { ...DEFAULT_CONNECTION_LIMITS, ...wanted };
  const shown = (key: keyof ConnectionLimits, value: number) =>
    key === "maxConnections" ? String(value) : formatDuration(value);
  return SETTING_NAMES.filter(([key]) => next[key] !== running[key]).map(
    ([key, name]) => `${section}.${name} (${shown(key, running[key])} → ${shown(key, next[key])})`,
  );
}
