// The dashboard: login with a bearer token (→ a cookie session), its pages, and the read APIs it needs.
import type { Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import type { Warden } from "../warden.js";
import { mountAgents } from "./agents-routes.js";
import { type AuthEnv, CSRF_HEADER, csrfMatches, SESSION_COOKIE, type UiSessions } from "./auth.js";
import { readJson } from "./body.js";
import { mountStatic, SECURITY_HEADERS } from "./dashboard-static.js";
import { mountEvents } from "./events.js";
import { errorBody } from "./http-errors.js";
import { mountIntegrity } from "./integrity-routes.js";
import { mountSignOn, providerLogoutUrl, signOnFor } from "./sso-routes.js";
import { tokenIdentity } from "./tokens.js";

const LoginBody = z.strictObject({ token: z.string().min(1).max(256) });

export interface DashboardOptions {
  /** The built front end (default: dist/web beside the server). */
  webRoot?: string | null;
  /** How often the live feed looks for records written by other processes (default 300 ms). */
  pollMs?: number;
  heartbeatMs?: number;
}

/** Mounts /ui/* (login), the pages, and /v1/events, /v1/agents, /v1/integrity (behind the /v1 auth). */
export function mountDashboard(
  app: Hono<AuthEnv>,
  warden: Warden,
  ui: UiSessions,
  options: DashboardOptions = {},
): void {
  const sso = signOnFor(warden);
  mountSignOn(app, warden, ui, sso);
  app.use("/ui/*", async (c, next) => {
    await next();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v);
    c.res.headers.set("cache-control", "no-store");
  });

  app.post("/ui/login", async (c) => {
    const { token: secret } = await readJson(c, LoginBody);
    const session = await ui.login(secret);
    setCookie(c, SESSION_COOKIE, session.id, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      secure: isHttps(c),
      // A browser-session cookie: the server ends idle sessions (UI_IDLE_MS) and revoked tokens itself.
    });
    return c.json(identityBody(session.token, session.csrf));
  });

  app.get("/ui/me", async (c) => {
    const id = getCookie(c, SESSION_COOKIE);
    const identity = id ? await ui.resolve(id) : null;
    if (!identity) return c.json(errorBody("UNAUTHENTICATED", "not logged in"), 401);
    return c.json(identityBody(identity.token, identity.csrf));
  });

  app.post("/ui/logout", async (c) => {
    const id = getCookie(c, SESSION_COOKIE);
    const identity = id ? await ui.resolve(id) : null;
    if (!id || !identity) return c.json(errorBody("UNAUTHENTICATED", "not logged in"), 401);
    if (!csrfMatches(c.req.header(CSRF_HEADER), identity.csrf)) {
      return c.json(errorBody("CSRF_FAILED", `this request needs the ${CSRF_HEADER} header`), 403);
    }
    const idToken = ui.idTokenOf(id);
    ui.end(id);
    deleteCookie(c, SESSION_COOKIE, { path: "/", secure: isHttps(c), httpOnly: true, sameSite: "Strict" });
    // A single sign-on ends at the provider too: the browser goes there next.
    const logoutUrl = await providerLogoutUrl(c, warden, sso, idToken).catch(() => null);
    return logoutUrl === null ? c.body(null, 204) : c.json({ logoutUrl });
  });

  const store = warden.ledger.store;
  mountEvents(app, warden.ledger, {
    ...options,
    recheck: (c) => {
      const sessionId =
        c.req.header("authorization") === undefined ? getCookie(c, SESSION_COOKIE) : undefined;
      const hash = c.get("token").hash;
      return async () => {
        if (sessionId !== undefined) return (await ui.resolve(sessionId, { touch: false })) !== null;
        const row = await store.tokenByHash(hash);
        return row !== null && row.revokedAt === null;
      };
    },
  });
  mountAgents(app, warden);
  mountIntegrity(app, warden.ledger.store);
  mountStatic(app, options.webRoot);
}

function identityBody(token: AuthEnv["Variables"]["token"], csrf: string) {
  return { role: token.role, name: tokenIdentity(token), csrf };
}

/** Only the request's own scheme counts: a forwarded header could be set by anyone in front. */
function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:";
}
