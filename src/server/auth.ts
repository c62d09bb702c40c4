// Who is calling, and may they: credentials turn a request into a principal; routes name the roles they admit.
import type { ServerResponse } from "node:http";
import type { Context, MiddlewareHandler } from "hono";
import { WardenError } from "../errors.js";
import type { VerifiedUser } from "../identity/index.js";
import type { LedgerStore, TokenRow } from "../ledger/index.js";
import type { TokenLimits } from "./token-limits.js";
import type { Role } from "./tokens.js";

/** Who a request acts as, once a credential has proved it. */
export interface Principal {
  /** Stable for one credential: per-token budgets and MCP session ownership are kept by it (a token's id). */
  id: string;
  role: Role;
  /** The agent an agent-role principal is bound to. */
  agent: string | null;
  /** The person it names (null: an unnamed token, known by its id). */
  name: string | null;
  /**
   * How it came, as the ledger names it for approvals: a token sent by a program ("api"), a dashboard
   * session opened with a token ("dashboard") or by single sign-on ("sso"), an identity provider's
   * access token ("provider-token").
   */
  via: "api" | "dashboard" | "sso" | "provider-token";
  /** The user an agent acts for, when a verified provider token named them (never a request's string). */
  verifiedUser?: VerifiedUser | null;
  /** Whether the credential still holds now (token not revoked, session not ended), for long streams. */
  stillValid(): Promise<boolean>;
}

export type AuthEnv = { Variables: { principal: Principal } };

/**
 * One kind of credential (a bearer token, a dashboard session cookie, …). The first kind a request
 * carries decides alone: a bad bearer header is 401, never a fallback to the cookie.
 */
export interface Credential {
  carriedBy(c: Context): boolean;
  /** The principal it proves, or null (401). Throws a WardenError for a refusal of its own (CSRF_FAILED). */
  principal(c: Context): Promise<Principal | null>;
}

export interface AuthenticateOptions {
  /** Per-token request and byte budgets, charged once the principal is known. */
  limits?: TokenLimits;
  /** The WWW-Authenticate challenge of a 401 (read per request: it may name this listener's own URL). */
  challenge?: string | ((c: Context) => string);
}

/**
 * The middleware that authenticates a route's requests with the first of `credentials` they carry;
 * it sets `principal` for the rest of the chain.
 *
 * @example
 * const authenticated = authenticate([bearerToken(tokens)]);
 * app.get("/v1/sessions", authenticated, requireRole("auditor", "admin"), (c) => c.json({}));
 */
export function authenticate(
  credentials: readonly Credential[],
  options: AuthenticateOptions = {},
): MiddlewareHandler<AuthEnv> {
  const challenge = options.challenge ?? 'Bearer realm="warden"';
  return async (c, next) => {
    const credential = credentials.find((k) => k.carriedBy(c));
    const principal = credential === undefined ? null : await credential.principal(c);
    if (principal === null) {
      // A credential that refused with a reason of its own (invalid_token) has set the header already.
      if (c.res.headers.get("www-authenticate") === null)
        c.header("www-authenticate", typeof challenge === "string" ? challenge : challenge(c));
      throw new WardenError("UNAUTHENTICATED", "a valid bearer token is required");
    }
    c.set("principal", principal);
    if (!options.limits) return next();
    const end = admit(c, options.limits, principal.id);
    // In progress until its answer is wholly sent (a stream included) or its client has gone.
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    if (outgoing === undefined) {
      try {
        await next();
      } finally {
        end();
      }
      return;
    }
    outgoing.once("close", end);
    try {
      await next();
    } catch (err) {
      end();
      throw err;
    }
  };
}

function admit(c: Context, limits: TokenLimits, tokenId: string): () => void {
  try {
    return limits.admit(c, tokenId);
  } catch (err) {
    const retryAfterMs = err instanceof WardenError ? err.details?.retryAfterMs : undefined;
    if (typeof retryAfterMs === "number") c.header("retry-after", String(Math.ceil(retryAfterMs / 1000)));
    throw err;
  }
}

/**
 * Admits a principal whose role is one of `roles`; FORBIDDEN otherwise. Placed after `authenticate`
 * in a route's chain; a chain without it is refused (UNAUTHENTICATED), never let through.
 */
export function requireRole(...roles: readonly Role[]): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const principal = c.var.principal as Principal | undefined;
    if (principal === undefined) throw new WardenError("UNAUTHENTICATED", "a valid bearer token is required");
    const role = principal.role;
    if (!roles.includes(role)) {
      throw new WardenError(
        "FORBIDDEN",
        `this needs one of the roles ${roles.join(", ")}; the token has ${role}`,
      );
    }
    await next();
  };
}

/**
 * An agent acts only on its own agent's calls (other roles are checked by requireRole), and only on a
 * call that exists when it asks: a call id nobody used yet is CALL_NOT_FOUND here, not let through, or
 * another agent's call taking that id while the request goes on would be acted on (its outcome written,
 * its approval read).
 */
export async function requireOwnCall(
  store: LedgerStore,
  principal: Principal,
  callId: string,
): Promise<void> {
  if (principal.role !== "agent") return;
  // Every intent under the id (ids claimed before claims were shared could have two): all must be its own.
  const intents = await store.query({ callId, kinds: ["call.intent"] });
  if (intents.length === 0) throw new WardenError("CALL_NOT_FOUND", `no call ${callId}`);
  if (intents.some((intent) => intent.agent !== principal.agent)) {
    throw new WardenError("FORBIDDEN", "this call belongs to another agent");
  }
}

/** An agent acts only on sessions of its own agent (`session` reads one; other roles need no read). */
export async function requireOwnSession(
  principal: Principal,
  sessionId: string,
  session: (id: string) => Promise<{ agent: string }>,
): Promise<void> {
  if (principal.role !== "agent") return;
  if ((await session(sessionId)).agent !== principal.agent)
    throw new WardenError("FORBIDDEN", "this session belongs to another agent");
}

/** The principal of a token row. */
export function tokenPrincipal(
  token: TokenRow,
  via: Principal["via"],
  stillValid: () => Promise<boolean>,
): Principal {
  return { id: token.id, role: token.role, agent: token.agent, name: token.name, via, stillValid };
}
