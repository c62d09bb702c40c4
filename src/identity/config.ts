// The identity stage's configuration: `identity:` (provider, onBehalfOf), the `agents:` registry and `sessions:` lifetimes.
import * as z from "zod";
import { globs, upToAWeek } from "../config/index.js";
import { type ProviderConfig, providerConfig, providerSchema } from "./provider/config.js";

export const identitySchema = z.strictObject({
  /**
   * `asserted` (default): the user an agent acts for may be named by the caller (a session request, an
   * MCP header or `_meta`). `verified`: only a verified token names the user (a provider token with an
   * RFC 8693 `act` delegation); a session whose user came from a request string is refused.
   */
  onBehalfOf: z.enum(["asserted", "verified"]).optional(),
  /** The company's OpenID provider: single sign-on for people, JWT bearer tokens for agents and services. */
  provider: providerSchema.optional(),
});

export type IdentityDocument = z.output<typeof identitySchema>;

export interface IdentitySettings {
  onBehalfOf: "asserted" | "verified";
  provider: ProviderConfig | null;
}

export const DEFAULT_IDENTITY: IdentitySettings = { onBehalfOf: "asserted", provider: null };

export function compileIdentity(doc: IdentityDocument | undefined): IdentitySettings {
  if (!doc) return DEFAULT_IDENTITY;
  return {
    onBehalfOf: doc.onBehalfOf ?? "asserted",
    provider: doc.provider ? providerConfig(doc.provider) : null,
  };
}

export const AGENT_NAME_PATTERN = /^[A-Za-z0-9_.:/@-]+$/;

const agent = z.strictObject({
  team: z.string().min(1),
  developer: z.string().min(1),
  description: z.string().default(""),
  tools: globs,
});

/** `agents:` — the registry of known agents; a session for an agent outside it is refused. */
export const agentsSchema = z.record(
  z.string().regex(AGENT_NAME_PATTERN, "an agent name uses only letters, digits and _ . : / @ -"),
  agent,
);

/** `sessions:` — how long a session may live and sit idle; ending it revokes its secrets and kills its commands. */
export const sessionsSchema = z.strictObject({
  maxDuration: upToAWeek.optional(),
  idleTimeout: upToAWeek.nullable().optional(),
});

export type AgentsDocument = z.output<typeof agentsSchema>;
export type SessionsDocument = z.output<typeof sessionsSchema>;

/** A registered agent: an "employee" with an owner and a job description (the tools it may use at all). */
export interface AgentProfile {
  name: string;
  team: string;
  developer: string;
  description: string;
  /** Tool name globs. A tool outside these is denied whatever the rules say. */
  tools: string[];
}

/** `sessions:` compiled; null is unlimited. Leases never outlive maxDuration (8h when unset). */
export interface SessionLimits {
  maxDurationMs: number | null;
  idleTimeoutMs: number | null;
}

/** `sessions.idleTimeout` when the policy does not set it. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60 * 60_000;

/** What the identity stage reads of the live policy (a CompiledPolicy is one). */
export interface IdentityPolicy {
  /** null when the policy has no `agents:` registry (then any agent name is accepted). */
  readonly agents: ReadonlyMap<string, AgentProfile> | null;
  readonly sessionLimits: SessionLimits;
  /** `identity:` — the provider and whether a session's user must come from a verified token. */
  readonly identity: IdentitySettings;
}

/** The registry by name, or null when the policy has none. */
export function compileAgents(doc: AgentsDocument | undefined): ReadonlyMap<string, AgentProfile> | null {
  if (doc === undefined) return null;
  return new Map(Object.entries(doc).map(([name, a]) => [name, { name, ...a, tools: [...a.tools] }]));
}

export function compileSessions(doc: SessionsDocument | undefined): SessionLimits {
  return {
    maxDurationMs: doc?.maxDuration ?? null,
    // Unset is the default; null says "never": sessions nobody ends must not pile up in a long-running service.
    idleTimeoutMs: doc?.idleTimeout === undefined ? DEFAULT_IDLE_TIMEOUT_MS : doc.idleTimeout,
  };
}
