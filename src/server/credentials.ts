// The kinds of credential Warden's listeners accept: a bearer token, a dashboard session cookie (token or sign-on).
import type { Context } from "hono";
import { WardenError } from "../errors.js";
import { looksLikeJwt, type ProviderTokens } from "../identity/index.js";
import { type Credential, tokenPrincipal } from "./auth.js";
import { isProviderRow, providerRow } from "./provider-principal.js";
import type { DashboardCookies } from "./secure-cookie.js";
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
export function dashboardSession(ui: UiSessions, cookies: DashboardCookies): Credential {
  return {
    carriedBy: (c) => cookies.get(c, SESSION_COOKIE) !== undefined,
    async principal(c) {
      const id = cookies.get(c, SESSION_COOKIE);
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

export interface ProviderBearerOptions {
  /** Audiences accepted here (default: identity.provider.audience). */
  audience?: () => readonly string[];
  /** Where agents connect (MCP): a person's own token is its client acting for them (see identityOf). */
  delegate?: boolean;
  /** The challenge a refused token is answered with; `error="invalid_token"` is added (RFC 6750 §3.1). */
  challenge?: (c: Context) => string;
}

/**
 * `Authorization: Bearer <JWT>` from the identity provider, when one is configured: its signature, issuer,
 * audience and expiry checked (src/identity/provider). Warden tokens (wdn_…) never look like one.
 */
export function providerBearer(
  provider: () => ProviderTokens | null,
  options: ProviderBearerOptions = {},
): Credential {
  const presented = (c: Context) => BEARER.exec(c.req.header("authorization") ?? "")?.[1];
  return {
    carriedBy: (c) => {
      const value = presented(c);
      return value !== undefined && looksLikeJwt(value) && provider() !== null;
    },
    async principal(c) {
      const verifier = provider();
      const value = presented(c);
      if (verifier === null || value === undefined) return null;
      let identity: Awaited<ReturnType<ProviderTokens["verify"]>>;
      try {
        identity = await verifier.verify(value, options.audience?.(), { delegate: options.delegate });
      } catch (err) {
        // FORBIDDEN (no role) and PROVIDER_UNAVAILABLE keep their own answers; a bad token is a 401.
        if (!(err instanceof WardenError) || err.code !== "TOKEN_INVALID") throw err;
        const challenge = options.challenge?.(c) ?? 'Bearer realm="warden"';
        c.header("www-authenticate", `${challenge}, error="invalid_token"`);
        return null;
      }
      const row = providerRow(identity);
      return {
        id: row.id,
        role: row.role,
        agent: row.agent,
        name: row.name,
        via: "provider-token",
        verifiedUser:
          identity.onBehalfOf === null
            ? null
            : { name: identity.onBehalfOf, issuer: identity.issuer, subject: identity.subject },
        // Not revocable here: it holds until it expires.
        stillValid: async () => Date.now() < identity.expiresAt,
      };
    },
  };
}
