// The policy file's `identity.provider:` section: which OpenID provider to trust and how its claims map to Warden's roles.
import * as z from "zod";
import { durationField, envName } from "../../config/index.js";

const duration = durationField("30s, 10m");

/** https, or plain http to a loopback address only (a provider on the same machine, as in tests). */
export const providerUrl = z.url().refine(
  (text) => {
    const url = new URL(text);
    return url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname));
  },
  { message: "the provider's URL must be https (plain http only on a loopback address)" },
);

const claimName = z.string().regex(/^[A-Za-z0-9_:.\-/]{1,128}$/, "a claim name");
const groupList = z.array(z.string().min(1).max(256)).max(100);

export const providerSchema = z.strictObject({
  /** The provider's issuer identifier; its discovery document is at /.well-known/openid-configuration. */
  issuer: providerUrl,
  /** Audiences a bearer token for the HTTP service or `warden mcp --listen` may carry (`aud`). */
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  /** `warden mcp --listen`'s public URL, its RFC 9728 resource and token audience (default: the listener's own URL). */
  resource: providerUrl.optional(),
  /** The dashboard's client at the provider, for single sign-on (authorization code + PKCE). */
  clientId: z.string().min(1).max(256).optional(),
  /** The environment variable holding the client secret; without one Warden is a public client. */
  clientSecretEnv: envName.optional(),
  /** Scopes asked for at sign-in (default openid email groups). */
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/)).optional(),
  claims: z
    .strictObject({
      /** The claim naming a person in the ledger (default email; sub when it is missing or unverified). */
      name: claimName.optional(),
      /** The claim listing a person's or client's groups (default groups). */
      groups: claimName.optional(),
      /** The claim naming the agent in an agent's token (default client_id, RFC 9068). */
      agent: claimName.optional(),
    })
    .optional(),
  /** Which groups give which role; a caller in several gets the first of admin, approver, auditor, agent. */
  roles: z
    .strictObject({
      admin: groupList.optional(),
      approver: groupList.optional(),
      auditor: groupList.optional(),
      agent: groupList.optional(),
    })
    .optional(),
  /** Bearer tokens must be typed `at+jwt` (RFC 9068) unless this is false: an ID token is no access token. */
  requireAccessTokenType: z.boolean().optional(),
  /** Clock skew allowed on exp/nbf/iat (default 30s). */
  clockTolerance: duration.optional(),
});

export type ProviderDocument = z.output<typeof providerSchema>;

export type ProviderRole = "admin" | "approver" | "auditor" | "agent";

/** The provider settings with every default filled in. */
export interface ProviderConfig {
  issuer: string;
  audience: string[];
  resource: string | null;
  clientId: string | null;
  clientSecretEnv: string | null;
  scopes: string[];
  claims: { name: string; groups: string; agent: string };
  /** In precedence order. */
  roles: { role: ProviderRole; groups: string[] }[];
  requireAccessTokenType: boolean;
  clockToleranceMs: number;
}

export const ROLE_ORDER: readonly ProviderRole[] = ["admin", "approver", "auditor", "agent"];

export function providerConfig(doc: ProviderDocument): ProviderConfig {
  const audience =
    doc.audience === undefined ? [] : Array.isArray(doc.audience) ? doc.audience : [doc.audience];
  return {
    issuer: doc.issuer,
    audience,
    resource: doc.resource ?? null,
    clientId: doc.clientId ?? null,
    clientSecretEnv: doc.clientSecretEnv ?? null,
    scopes: doc.scopes ?? ["openid", "email", "groups"],
    claims: {
      name: doc.claims?.name ?? "email",
      groups: doc.claims?.groups ?? "groups",
      agent: doc.claims?.agent ?? "client_id",
    },
    roles: ROLE_ORDER.map((role) => ({ role, groups: doc.roles?.[role] ?? [] })).filter(
      (r) => r.groups.length > 0,
    ),
    requireAccessTokenType: doc.requireAccessTokenType ?? true,
    clockToleranceMs: doc.clockTolerance ?? 30_000,
  };
}

export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127(?:\.\d{1,3}){3}$/.test(h);
}
