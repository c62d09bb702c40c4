// A verified token's claims as Warden's identity: the role from groups, the person's name, the agent, the user it acts for.
import type { JWTPayload } from "jose";
import { WardenError } from "../../errors.js";
import { normalizeName } from "../../people.js";
import type { ProviderConfig, ProviderRole } from "./config.js";

/** Who a provider token (or a single sign-on) speaks for. */
export interface ProviderIdentity {
  issuer: string;
  subject: string;
  role: ProviderRole;
  /** The person (email or subject), or for an agent's token the agent. */
  name: string;
  /** The agent, for role agent. */
  agent: string | null;
  /** The user an agent acts for, only from a delegation the provider signed (RFC 8693 `act`). */
  onBehalfOf: string | null;
  /** When the token stops being valid (ms since the epoch). */
  expiresAt: number;
}

const PRINTABLE = /^[^\p{Cc}\p{Cf}]{1,256}$/u;

/** The groups claim as a list: an array of strings, or one space-separated string. */
export function groupsOf(claims: JWTPayload, config: ProviderConfig): string[] {
  const value = claims[config.claims.groups];
  if (typeof value === "string") return value.split(" ").filter(Boolean);
  return Array.isArray(value) ? value.filter((g): g is string => typeof g === "string") : [];
}

/** The first role, in precedence order, whose groups the caller is in; null when none. */
export function roleOf(groups: readonly string[], config: ProviderConfig): ProviderRole | null {
  const mine = new Set(groups);
  return config.roles.find((r) => r.groups.some((g) => mine.has(g)))?.role ?? null;
}

/** The configured name claim when present (an email only when not marked unverified), else the subject. */
export function personName(claims: JWTPayload, config: ProviderConfig): string {
  const claim = config.claims.name;
  const value = claims[claim];
  const unverified = claim === "email" && claims.email_verified === false;
  const name = typeof value === "string" && !unverified ? normalizeName(value) : (claims.sub ?? "");
  if (!PRINTABLE.test(name))
    throw new WardenError("TOKEN_INVALID", "the token names no usable subject", { reason: "subject" });
  return name;
}

/**
 * The identity a verified token carries. A token with an `act` claim was issued to an agent acting for the
 * token's subject (RFC 8693 §4.1): it is an agent's whatever groups the user is in, and the user is verified.
 */
export function identityOf(
  claims: JWTPayload,
  config: ProviderConfig,
  options: { delegate?: boolean } = {},
): ProviderIdentity {
  const subject = claims.sub;
  // The subject is recorded (a verified user's `onBehalfOfVerified`) and printed: one to 256 printable
  // characters (OpenID Connect allows 255 ASCII), never a control, format or bidirectional character.
  if (typeof subject !== "string" || !PRINTABLE.test(subject))
    throw new WardenError("TOKEN_INVALID", "the token has no usable subject", { reason: "subject" });
  const base = { issuer: String(claims.iss), subject, expiresAt: Number(claims.exp) * 1000 };
  if (claims.act !== undefined) {
    // RFC 8693 §4.1: the actor is an object naming its subject; anything else is no delegation at all.
    const act = claims.act as { sub?: unknown } | null;
    const actor = typeof act === "object" && act !== null && typeof act.sub === "string" ? act.sub : null;
    if (actor === null || !PRINTABLE.test(actor))
      throw new WardenError("TOKEN_INVALID", "the token's act claim names no actor", { reason: "act" });
    // The actor is the agent (§4.1); a token whose client (client_id) names another one claims two agents.
    if (claims[config.claims.agent] !== undefined && agentOf(claims, config) !== actor)
      throw new WardenError("TOKEN_INVALID", "the token's act claim names another agent than its client", {
        reason: "act",
      });
    const agent = actor;
    return { ...base, role: "agent", name: agent, agent, onBehalfOf: personName(claims, config) };
  }
  const groups = groupsOf(claims, config);
  const client = agentOf(claims, config);
  // Where agents connect (MCP), a person's own token (RFC 9068: its subject is not the client) is that
  // client acting for them, when they are in a group allowed to run agents: the person signed in to it.
  if (options.delegate && client !== null && client !== subject) {
    const mayRunAgents = config.roles.find((r) => r.role === "agent")?.groups.some((g) => groups.includes(g));
    if (!mayRunAgents)
      throw new WardenError(
        "FORBIDDEN",
        "the person is in no group that may run agents (identity.provider.roles.agent)",
      );
    return { ...base, role: "agent", name: client, agent: client, onBehalfOf: personName(claims, config) };
  }
  const role = roleOf(groups, config);
  if (role === null)
    throw new WardenError("FORBIDDEN", "the provider's token is in no group that has a Warden role");
  if (role === "agent") {
    const agent = agentOf(claims, config);
    if (agent === null)
      throw new WardenError("TOKEN_INVALID", "the agent's token names no agent", { reason: "agent" });
    return { ...base, role, name: agent, agent, onBehalfOf: null };
  }
  return { ...base, role, name: personName(claims, config), agent: null, onBehalfOf: null };
}

function agentOf(claims: JWTPayload, config: ProviderConfig): string | null {
  const value = claims[config.claims.agent];
  return typeof value === "string" && PRINTABLE.test(value) ? value : null;
}
