// Starts the HTTP service on a local address (127.0.0.1 unless told otherwise).
import type { Warden } from "../warden.js";
import { type AppOptions, createApp } from "./app.js";
import type { ConnectionLimits } from "./config.js";
import { listenApp } from "./listen.js";
import { Metrics } from "./metrics.js";

export { type AppOptions, createApp } from "./app.js";
export {
  type AuthEnv,
  authenticate,
  type Credential,
  type Principal,
  requireRole,
} from "./auth.js";
export { readText } from "./body.js";
export {
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  DEFAULT_TOKEN_LIMITS,
  type HttpLimits,
  type TokenLimitOptions,
} from "./config.js";
export { bearerToken, providerBearer } from "./credentials.js";
export { createHttpApp, type ErrorRenderer, type HttpAppOptions } from "./http-app.js";
export type { PublicError } from "./http-errors.js";
export { connectionChanges, type Listening, listenApp } from "./listen.js";
export { Metrics } from "./metrics.js";
export { siteCheck } from "./site-check.js";
export { TokenLimits } from "./token-limits.js";
export { createToken, hashToken, ROLES, type Role, TokenCache } from "./tokens.js";

export interface RunningServer {
  url: string;
  port: number;
  /** The connection limits the listener keeps until it stops (a policy reload does not change them). */
  connections: ConnectionLimits;
  close(): Promise<void>;
}

/**
 * Serves `createApp` on host:port. Connection limits are `connections` over the policy's `server:`
 * section as it is now, over DEFAULT_CONNECTION_LIMITS; per-token budgets follow the policy (see AppOptions).
 */
export async function startServer(
  warden: Warden,
  options: { host?: string; port?: number; connections?: Partial<ConnectionLimits> } & AppOptions = {},
): Promise<RunningServer> {
  const metrics = new Metrics(warden.ledger);
  const book = warden.approvals.queue.book;
  metrics.trackApprovals(() => book.list((v) => v.status === "pending", Number.MAX_SAFE_INTEGER).length);
  const exporter = warden.exporter;
  if (exporter) metrics.trackExport(() => new Map([...exporter.stats()].map(([k, s]) => [k, s.lag])));
  const host = options.host ?? "127.0.0.1";
  const app = createApp(warden, metrics, { host, tokenLimits: options.tokenLimits, now: options.now });
  const listening = await listenApp(app, {
    host,
    port: options.port ?? 8787,
    connections: { ...warden.policy.server.connections, ...options.connections },
  });
  return {
    url: listening.origin,
    port: listening.port,
    connections: listening.connections,
    close: async () => {
      metrics.close();
      await listening.close();
    },
  };
}
