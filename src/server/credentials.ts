// The kinds of credential Warden's listeners accept: a bearer token, a dashboard session cookie (token or sign-on).
import { getCookie } from "hono/cookie";
import { WardenError } from "../errors.js";
import { type Credential, tokenPrincipal } from "./auth.js";
import { isProviderRow } from "./provider-principal.js";
import type { TokenCache } from "./tokens.js";
import { CSRF_HEADER, csrfMatches, SESSION_COOKIE, type UiSessions } from "./ui-sessions.js";

const BEARER = /^Bearer (\S+)$/;

/** `Authorization: Bearer wdn_…`: a token from `warden token create`, looked up through the cache. */
export function bearerToken(tokens: TokenCache): Credential {
  return {
    carriedBy: (c) => c.req.header("authorization") !== undefined,
    async principal(c) {
      const secret = BEARER.exec(c.req.header("authorization") ?? "")?.[1];
      const token = secret === undefined ? null : await tokens.authenticate(secret);
      if (token === null) return null;
      return tokenPrincipal(token, "api", () => tokens.stillValid(token));
    },
  };
}

const SAFE_METHODS = new Set(["GET", "HEAD"]);

/**
 * The dashboard's session cookie. Its non-GET requests need the CSRF header too, because a browser
 * attaches cookies to requests that other sites trigger.
 */
export function dashboardSession(ui: UiSessions): Credential {
  return {
    carriedBy: (c) => getCookie(c, SESSION_COOKIE) !== undefined,
    async principal(c) {
      const id = getCookie(c, SESSION_COOKIE);
      const identity = id === undefined ? null : await ui.resolve(id);
      if (id === undefined || identity === null) return null;
      if (!SAFE_METHODS.has(c.req.method) && !csrfMatches(c.req.header(CSRF_HEADER), identity.csrf)) {
        throw new WardenError("CSRF_FAILED", `this request needs the ${CSRF_HEADER} header`);
      }
      // Not counted as activity: an open live stream must not keep a forgotten tab signed in.
      return tokenPrincipal(
        identity.token,
        isProviderRow(identity.token) ? "sso" : "dashboard",
        async () => (await ui.resolve(id, { touch: false })) !== null,
      );
    },
  };
}
