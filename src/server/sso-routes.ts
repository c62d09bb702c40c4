// Single sign-on for the dashboard: /ui/sso/login sends the browser to the identity provider, /ui/sso/callback
// opens a dashboard session for the person it signed on, logout ends the provider's session too.
import { randomBytes } from "node:crypto";
import { type Context, Hono } from "hono";
import { WardenError } from "../errors.js";
import { type ProviderConfig, SIGN_ON_WINDOW_MS, SignOn } from "../identity/index.js";
import type { Warden } from "../warden.js";
import { errorBody } from "./http-errors.js";
import type { DashboardCookies } from "./secure-cookie.js";
import { SESSION_COOKIE, type UiSessions } from "./ui-sessions.js";

/**
 * Holds a started sign-in, sealed (its state, nonce and PKCE verifier): the callback tells by it that it
 * returns to the browser that started it, and the server keeps nothing per started sign-in.
 */
export const SSO_STATE_COOKIE = "warden_sso_state";
export const SSO_CALLBACK_PATH = "/ui/sso/callback";

/** The SignOn for the policy's provider, built again when a reload changes it; null without one. */
export function signOnFor(warden: Warden, env: NodeJS.ProcessEnv = process.env): () => SignOn | null {
  let built: { config: ProviderConfig; sso: SignOn } | null = null;
  // One key for this server's life: a sign-in started before a policy reload still finishes after it.
  const sealKey = randomBytes(32);
  return () => {
    const config = warden.policy.identity.provider;
    if (config === null || config.clientId === null) return null;
    if (built?.config !== config) {
      const secret = config.clientSecretEnv === null ? null : (env[config.clientSecretEnv] ?? null);
      if (config.clientSecretEnv !== null && !secret)
        throw new WardenError(
          "PROVIDER_UNAVAILABLE",
          `the client secret variable ${config.clientSecretEnv} is not set`,
        );
      built = { config, sso: new SignOn(config, { clientSecret: secret, sealKey }) };
    }
    return built.sso;
  };
}

/** /ui/sso: whether sign-on is offered, its start, and the provider's callback (SSO_CALLBACK_PATH). */
export function ssoRoutes(
  warden: Warden,
  ui: UiSessions,
  sso: () => SignOn | null,
  cookies: DashboardCookies,
): Hono {
  const app = new Hono();
  app.get("/", (c) => c.json({ enabled: sso() !== null }));

  app.get("/login", async (c) => {
    const signOn = sso();
    if (!signOn) return c.json(errorBody("NOT_FOUND", "single sign-on is not configured"), 404);
    const { url, state } = await signOn.start(
      `${baseUrl(c, warden)}${SSO_CALLBACK_PATH}`,
      safeNext(c.req.query("next")),
    );
    // Lax: the provider sends the browser back with a top-level GET from its own site. Path=/, as the
    // __Host- name it has on https requires.
    cookies.set(c, SSO_STATE_COOKIE, state, { sameSite: "Lax", maxAge: SIGN_ON_WINDOW_MS / 1000 });
    return c.redirect(url, 302);
  });

  app.get("/callback", async (c) => {
    const signOn = sso();
    if (!signOn) return c.json(errorBody("NOT_FOUND", "single sign-on is not configured"), 404);
    const browserState = cookies.get(c, SSO_STATE_COOKIE);
    cookies.delete(c, SSO_STATE_COOKIE, { sameSite: "Lax" });
    try {
      const done = await signOn.finish(new URL(c.req.url), browserState);
      const session = ui.loginSignedOn(done.identity, done.idToken);
      cookies.set(c, SESSION_COOKIE, session.id, { sameSite: "Strict" });
      return c.redirect(done.next, 302);
    } catch (err) {
      // The login page says what went wrong; the URL carries only the stable code.
      const code = err instanceof WardenError ? err.code : "SSO_FAILED";
      return c.redirect(`/login?sso_error=${encodeURIComponent(code)}`, 302);
    }
  });

  return app;
}

/** Where the provider should send the browser after its logout; null for a token session or no provider. */
export async function providerLogoutUrl(
  c: Context,
  warden: Warden,
  sso: () => SignOn | null,
  idToken: string | null,
): Promise<string | null> {
  const signOn = sso();
  if (!signOn || idToken === null) return null;
  return signOn.logoutUrl(idToken, `${baseUrl(c, warden)}/login`);
}

/** approvals.publicUrl behind a reverse proxy, else this request's own origin (the site check vouches for its Host). */
function baseUrl(c: Context, warden: Warden): string {
  const publicUrl = warden.policy.approvalChannels.publicUrl;
  return publicUrl === null ? new URL(c.req.url).origin : new URL(publicUrl).origin;
}

/**
 * Only a path on this site: never another origin (`//evil`, `https:`) to send a freshly signed-on browser
 * to. Printable ASCII up to 1,024 characters, so the sealed cookie that carries it stays under 4 KB.
 */
function safeNext(next: string | undefined): string {
  return next !== undefined && next.length <= 1024 && /^\/(?![/\\])[!-[\]-~]*$/.test(next) ? next : "/";
}
