// Who a downstream MCP session acts as: the agent from config or token, the user and intent from headers, _meta or config.
import { userInfo } from "node:os";
import type { VerifiedUser } from "../../identity/index.js";

/** Operator defaults: `--agent/--on-behalf-of/--intent` flags, else the policy's `mcp.identity`. */
export interface IdentityDefaults {
  agent: string | null;
  onBehalfOf: string | null;
  intent: string | null;
}

export interface SessionIdentity {
  agent: string;
  /** Absent when a verified token names the user and the request repeats no name. */
  onBehalfOf?: string;
  intent: string;
  /** The user from the connection's verified provider token; a request's string may repeat, never change it. */
  verifiedUser?: VerifiedUser;
}

/** What the connection itself says: a bearer token's agent, request headers, the initialize request's `_meta`. */
export interface ConnectionClaims {
  /** The agent an agent-role token is bound to; the client cannot choose another. */
  tokenAgent?: string | null;
  /** Whether the caller may name the agent in `x-warden-agent` (an admin token). */
  mayNameAgent?: boolean;
  headers?: Record<string, string | string[] | undefined>;
  meta?: Record<string, unknown> | undefined;
  /** The user a verified provider token named (an RFC 8693 delegation, or a person signed in to the client). */
  verifiedUser?: VerifiedUser | null;
}

export const META = {
  callId: "warden/callId",
  rationale: "warden/rationale",
  onBehalfOf: "warden/onBehalfOf",
  /** A provider token acting for the user (RFC 8693), verified: the stdio way to a verified user. */
  onBehalfOfToken: "warden/onBehalfOfToken",
  intent: "warden/intent",
  code: "warden/code",
} as const;

export const DEFAULT_AGENT = "mcp-client";
export const DEFAULT_INTENT = "MCP session through warden mcp";

const header = (claims: ConnectionClaims, name: string): string | null => {
  const v = claims.headers?.[name];
  const value = Array.isArray(v) ? v[0] : v;
  return typeof value === "string" && value.length > 0 ? value : null;
};

const meta = (claims: ConnectionClaims, name: string): string | null => {
  const v = claims.meta?.[name];
  return typeof v === "string" && v.length > 0 ? v : null;
};

/**
 * Agent: the token's agent, else (admin token) `x-warden-agent`, else the operator's default, else
 * "mcp-client". User and intent: `x-warden-on-behalf-of` / `x-warden-intent` headers, else the
 * initialize request's `_meta["warden/onBehalfOf"]` / `_meta["warden/intent"]`, else the defaults,
 * else the local OS user and a generic intent.
 */
export function resolveIdentity(defaults: IdentityDefaults, claims: ConnectionClaims): SessionIdentity {
  const agent =
    claims.tokenAgent ??
    (claims.mayNameAgent ? header(claims, "x-warden-agent") : null) ??
    defaults.agent ??
    DEFAULT_AGENT;
  const asserted = header(claims, "x-warden-on-behalf-of") ?? meta(claims, META.onBehalfOf);
  const intent =
    header(claims, "x-warden-intent") ?? meta(claims, META.intent) ?? defaults.intent ?? DEFAULT_INTENT;
  // A verified user wins over the operator's default; a string in the request must name the same user
  // (the session registry refuses it otherwise), and under identity.onBehalfOf: verified nothing else counts.
  if (claims.verifiedUser)
    return {
      agent,
      ...(asserted !== null ? { onBehalfOf: asserted } : {}),
      intent,
      verifiedUser: claims.verifiedUser,
    };
  const onBehalfOf = asserted ?? defaults.onBehalfOf ?? `local:${localUser()}`;
  return { agent, onBehalfOf, intent };
}

function localUser(): string {
  try {
    return userInfo().username || "unknown";
  } catch {
    return "unknown";
  }
}
