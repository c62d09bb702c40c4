// The policy file's `identity:` section: where callers' identities come from and how far a request's own word counts.
import * as z from "zod";
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
