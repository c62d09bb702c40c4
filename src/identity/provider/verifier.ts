// Verifies the provider's JWT bearer tokens: signature by a key from its JWKS, then issuer, audience, expiry and type.
import { errors, type JWTPayload, jwtVerify } from "jose";
import { WardenError } from "../../errors.js";
import { identityOf, type ProviderIdentity } from "./claims.js";
import type { ProviderConfig } from "./config.js";
import { discover, type Fetch, type ProviderMetadata } from "./discovery.js";
import { JwksCache } from "./jwks.js";

/** Asymmetric algorithms only: an HMAC or "none" token could be made by anyone who knows the JWKS. */
export const ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];

export interface VerifierOptions {
  fetch?: Fetch;
  now?: () => number;
  jwksCooldownMs?: number;
  jwksMaxAgeMs?: number;
}

/**
 * @example
 * const tokens = new ProviderTokens(providerConfig({ issuer: "https://login.example.com", audience: "warden" }));
 * const who = await tokens.verify(bearer); // who.role, who.name, who.agent, who.onBehalfOf
 */
export class ProviderTokens {
  readonly config: ProviderConfig;
  readonly #fetch: Fetch;
  readonly #now: () => number;
  readonly #jwks: JwksCache;
  #metadata: Promise<ProviderMetadata> | null = null;

  constructor(config: ProviderConfig, options: VerifierOptions = {}) {
    this.config = config;
    this.#fetch = options.fetch ?? fetch;
    this.#now = options.now ?? Date.now;
    this.#jwks = new JwksCache(async () => (await this.metadata()).jwks_uri, {
      fetch: this.#fetch,
      now: this.#now,
      cooldownMs: options.jwksCooldownMs,
      maxAgeMs: options.jwksMaxAgeMs,
    });
  }

  /** The discovery document, fetched once (again after a failure). */
  metadata(): Promise<ProviderMetadata> {
    this.#metadata ??= discover(this.config.issuer, this.#fetch).catch((err: unknown) => {
      this.#metadata = null;
      throw err;
    });
    return this.#metadata;
  }

  /** The claims of a valid token for one of `audience` (default: the configured audience); TOKEN_INVALID otherwise. */
  async claims(token: string, audience: readonly string[] = this.config.audience): Promise<JWTPayload> {
    if (audience.length === 0)
      throw new WardenError("TOKEN_INVALID", "no audience is configured for provider tokens", {
        reason: "audience",
      });
    try {
      const { payload } = await jwtVerify(token, this.#jwks.getKey, {
        issuer: this.config.issuer,
        audience: [...audience],
        algorithms: ALGORITHMS,
        clockTolerance: Math.round(this.config.clockToleranceMs / 1000),
        currentDate: new Date(this.#now()),
        requiredClaims: ["exp", "sub"],
        ...(this.config.requireAccessTokenType ? { typ: "at+jwt" } : {}),
      });
      return payload;
    } catch (err) {
      if (err instanceof WardenError) throw err;
      throw new WardenError("TOKEN_INVALID", `the bearer token is not valid: ${reasonOf(err)}`, {
        reason: reasonOf(err),
      });
    }
  }

  /** The identity a valid token carries (see identityOf; `delegate` where agents connect). */
  async verify(
    token: string,
    audience?: readonly string[],
    options: { delegate?: boolean } = {},
  ): Promise<ProviderIdentity> {
    return identityOf(await this.claims(token, audience), this.config, options);
  }
}

/** A stable word for why jose refused a token (never the token itself). */
function reasonOf(err: unknown): string {
  if (err instanceof errors.JWTExpired) return "expired";
  if (err instanceof errors.JWTClaimValidationFailed)
    return err.claim === "aud" ? "audience" : err.claim === "iss" ? "issuer" : err.claim;
  if (err instanceof errors.JWKSNoMatchingKey) return "unknown-key";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "signature";
  if (err instanceof errors.JOSEAlgNotAllowed) return "algorithm";
  return "malformed";
}
