// Starts the HTTP service on a local address (127.0.0.1 unless told otherwise).
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Warden } from "../warden.js";
import { type AppOptions, createApp } from "./app.js";
import { errorBody } from "./http-errors.js";
import { Metrics } from "./metrics.js";
import { siteCheck } from "./site-check.js";

export { type AppOptions, createApp } from "./app.js";
export { Metrics } from "./metrics.js";
export { siteCheck } from "./site-check.js";
export { DEFAULT_TOKEN_LIMITS, type TokenLimitOptions } from "./token-limits.js";
export { authenticate, createToken, hashToken, ROLES, type Role } from "./tokens.js";

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startServer(
  warden: Warden,
  options: { host?: string; port?: number } & AppOptions = {},
): Promise<RunningServer> {
  const metrics = new Metrics(warden.ledger);
  const exporter = warden.exporter;
  if (exporter) metrics.trackExport(() => new Map([...exporter.stats()].map(([k, s]) => [k, s.lag])));
  const app = createApp(warden, metrics, { tokenLimits: options.tokenLimits, now: options.now });
  const host = options.host ?? "127.0.0.1";
  // Behind a reverse proxy the dashboard's pages come from approvals.publicUrl: that origin is ours too.
  const refusedSite = siteCheck(host, () => {
    const publicUrl = warden.policy.approvalChannels.publicUrl;
    return publicUrl === null ? [] : [new URL(publicUrl).origin];
  });
  // Before any route, the unauthenticated ones (/healthz, /metrics, the dashboard's pages) included.
  const fetch: typeof app.fetch = (req, env, ctx) => {
    const refused = refusedSite(req.headers.get("host") ?? undefined, req.headers.get("origin") ?? undefined);
    if (refused === null) return app.fetch(req, env, ctx);
    return Response.json(errorBody("FORBIDDEN", refused), { status: 403 });
  };
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch, hostname: host, port: options.port ?? 8787 }, () => resolve(s));
    s.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        metrics.close();
        server.close(() => resolve());
        // Keep-alive connections would hold close() open; they carry no state worth waiting for.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
