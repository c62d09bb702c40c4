// /ui/*: the dashboard's login with a bearer token or single sign-on (→ a cookie session), who is logged in, and logout.
import { Hono } from "hono";
import { z } from "zod";
import { WardenError } from "../errors.js";
import type { TokenRow } from "../ledger/index.js";
import type { Warden } from "../warden.js";
import { readJson } from "./body.js";
import { SECURITY_HEADERS } from "./dashboard-static.js";
import type { DashboardCookies } from "./secure-cookie.js";
import { providerLogoutUrl, signOnFor, ssoRoutes } from "./sso-routes.js";
import { tokenIdentity } from "./tokens.js";
import { CSRF_HEADER, csrfMatches, SESSION_COOKIE, type UiSessions } from "./ui-sessions.js";

const LoginBody = z.strictObject({ token: z.string().min(1).max(256) });

export function uiRoutes(warden: Warden, ui: UiSessions, cookies: DashboardCookies): Hono {
  const app = new Hono();
  const sso = signOnFor(warden);

  app.use(async (c, next) => {
    await next();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v);
    c.res.headers.set("cache-control", "no-store");
  });

  app.post("/login", async (c) => {
    const { token: secret } = await readJson(c, LoginBody);
    const session = await ui.login(secret);
    // A browser that logs in again (another person at the same browser) leaves no live session behind.
    const previous = cookies.get(c, SESSION_COOKIE);
    if (previous !== undefined) ui.end(previous);
    // A browser-session cookie: the server ends idle sessions (UI_IDLE_MS) and revoked tokens itself.
    cookies.set(c, SESSION_COOKIE, session.id, { sameSite: "Strict" });
    return c.json(identityBody(session.token, session.csrf));
  });

  app.get("/me", async (c) => {
    const id = cookies.get(c, SESSION_COOKIE);
    const identity = id ? await ui.resolve(id) : null;
    if (!identity) throw new WardenError("UNAUTHENTICATED", "not logged in");
    return c.json(identityBody(identity.token, identity.csrf));
  });

  app.post("/logout", async (c) => {
    const id = cookies.get(c, SESSION_COOKIE);
    const identity = id ? await ui.resolve(id) : null;
    if (!id || !identity) throw new WardenError("UNAUTHENTICATED", "not logged in");
    if (!csrfMatches(c.req.header(CSRF_HEADER), identity.csrf)) {
      throw new WardenError("CSRF_FAILED", `this request needs the ${CSRF_HEADER} header`);
    }
    const idToken = ui.idTokenOf(id);
    ui.end(id);
    cookies.delete(c, SESSION_COOKIE, { sameSite: "Strict" });
    // A single sign-on ends at the provider too: the browser goes there next.
    const logoutUrl = await providerLogoutUrl(c, warden, sso, idToken).catch(() => null);
    return logoutUrl === null ? c.body(null, 204) : c.json({ logoutUrl });
  });

  app.route("/sso", ssoRoutes(warden, ui, sso, cookies));
  return app;
}

function identityBody(token: TokenRow, csrf: string) {
  return { role: token.role, name: tokenIdentity(token), csrf };
}
