// A verified user over stdio: `_meta["warden/onBehalfOfToken"]` in initialize, a provider token that an agent
// got by exchanging its user's token (RFC 8693), since a stdio connection carries no bearer of its own.
import { WardenError } from "../../errors.js";
import type { ProviderTokens, VerifiedUser } from "../../identity/index.js";
import { META } from "./identity.js";

/** The user the token in `_meta` acts for, verified; null when `_meta` carries none. */
export async function userFromMetaToken(
  provider: ProviderTokens | null,
  meta: Record<string, unknown> | undefined,
  agent: string,
): Promise<VerifiedUser | null> {
  const token = meta?.[META.onBehalfOfToken];
  if (token === undefined) return null;
  if (typeof token !== "string" || provider === null)
    throw new WardenError(
      "IDENTITY_UNVERIFIED",
      `${META.onBehalfOfToken} needs identity.provider to verify it`,
    );
  const identity = await provider.verify(token);
  if (identity.onBehalfOf === null)
    throw new WardenError(
      "IDENTITY_UNVERIFIED",
      "the token names no user it acts for (an RFC 8693 exchanged token does)",
    );
  if (identity.agent !== agent)
    throw new WardenError("IDENTITY_UNVERIFIED", "the token was issued to another agent than this session's");
  return { name: identity.onBehalfOf, issuer: identity.issuer, subject: identity.subject };
}
