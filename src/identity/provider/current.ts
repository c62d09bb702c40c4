// The verifier for the policy's current provider, built again when a reload changes the provider's settings.
import type { ProviderConfig } from "./config.js";
import { ProviderTokens, type VerifierOptions } from "./verifier.js";

/** `config()` is read on each call (the policy may reload); the verifier, with its cached keys, is kept while it stays. */
export function currentProviderTokens(
  config: () => ProviderConfig | null,
  options: VerifierOptions = {},
): () => ProviderTokens | null {
  let built: ProviderTokens | null = null;
  return () => {
    const now = config();
    if (now === null) return null;
    if (built?.config !== now) built = new ProviderTokens(now, options);
    return built;
  };
}

/** A compact JWS (three base64url parts): what a provider token looks like, never a Warden token (wdn_…). */
export function looksLikeJwt(value: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(value) && value.length <= 16_384;
}
