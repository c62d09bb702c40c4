// The HTTP decision service: the same gate as the library, for agents in any language.
import type { Hono } from "hono";
import { currentProviderTokens } from "../identity/index.js";
import type { Warden } from "../warden.js";
import { agentsRoutes } from "./agents-routes.js";
import { alertsRoutes } from "./alerts-routes.js";
import { approvalsRoutes } from "./approvals-routes.js";
import { type AuthEnv, authenticate } from "./auth.js";
import { callsRoutes } from "./calls-routes.js";
import type { TokenLimitOptions } from "./config.js";
import { bearerToken, dashboardSession, providerBearer } from "./credentials.js";
import { mountStatic } from "./dashboard-static.js";
import { decisionsRoutes } from "./decisions-routes.js";
import { eventsRoutes } from "./events.js";
import { createHttpApp } from "./http-app.js";
import { integrityRoutes } from "./integrity-routes.js";
import { ledgerRoutes } from "./ledger-routes.js";
import type { Metrics } from "./metrics.js";
import { recordsRoutes } from "./records-routes.js";
import type { RouteDeps } from "./routes.js";
import { dashboardCookies, secureCookie } from "./secure-cookie.js";
import { sessionsRoutes } from "./sessions-routes.js";
import { slackRoutes } from "./slack-routes.js";
import { TokenLimits } from "./token-limits.js";
import { TokenCache } from "./tokens.js";
import { uiRoutes } from "./ui-routes.js";
import { UiSessions } from "./ui-sessions.js";

export interface AppOptions {
  /**
   * The address the service is served on (default 127.0.0.1): a loopback listener answers only to
   * loopback host names (the site check, applied to every route).
   */
  host?: string;
  /**
   * Per-token request and byte budgets, over the policy's `server.perToken` (read per request, so a
   * reload changes them), over DEFAULT_TOKEN_LIMITS.
   */
  tokenLimits?: Partial<TokenLimitOptions>;
  /** The clock dashboard sessions expire by (tests move it). */
  now?: () => number;
}

/**
 * The service's routes, one sub-app per resource; each /v1 route's chain authenticates the request
 * and names the roles it admits.
 *
 * @example
 * const app = createApp(warden, new Metrics(warden.ledger));
 * const res = await app.request("/healthz"); // {ok: true, status: "ok"}
 */
export function createApp(warden: Warden, metrics: Metrics, options: AppOptions = {}): Hono<AuthEnv> {
  const app = createHttpApp<AuthEnv>({
    listenHost: options.host ?? "127.0.0.1",
    // Behind a reverse proxy the dashboard's pages come from approvals.publicUrl: that origin is ours too.
    allowedOrigins: () => {
      const publicUrl = warden.policy.approvalChannels.publicUrl;
      return publicUrl === null ? [] : [new URL(publicUrl).origin];
    },
  });
  const tokens = new TokenCache(warden.ledger.store);
  const ui = new UiSessions(tokens, options.now);
  const cookies = dashboardCookies((c) => secureCookie(c, warden));
  const provider = currentProviderTokens(() => warden.policy.identity.provider);
  const deps: RouteDeps = {
    warden,
    authenticated: authenticate(
      [providerBearer(provider), bearerToken(tokens), dashboardSession(ui, cookies)],
      {
        limits: new TokenLimits(() => ({ ...warden.policy.server.tokenLimits, ...options.tokenLimits })),
      },
    ),
  };

  // Unauthenticated, so it says only whether this instance works: no chain head, no counts.
  app.get("/healthz", async (c) => {
    const health = await metrics.health.check();
    return c.json(health, health.ok ? 200 : 503);
  });
  app.get("/metrics", async (c) =>
    c.body(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType }),
  );

  app.route("/v1/sessions", sessionsRoutes(deps));
  app.route("/v1/decisions", decisionsRoutes(deps, metrics));
  app.route("/v1/calls", callsRoutes(deps));
  app.route("/v1/ledger", ledgerRoutes(deps));
  app.route("/v1/records", recordsRoutes(deps));
  app.route("/v1/alerts", alertsRoutes(deps));
  app.route("/v1/approvals", approvalsRoutes(deps));
  app.route("/v1/agents", agentsRoutes(deps));
  app.route("/v1/integrity", integrityRoutes(deps));
  app.route("/v1/events", eventsRoutes(deps));
  app.route("/ui", uiRoutes(warden, ui, cookies));
  app.route("/slack", slackRoutes(warden));
  mountStatic(app);
  return app;
}
