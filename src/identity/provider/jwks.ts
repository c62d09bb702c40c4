// The provider's signing keys, fetched from its JWKS and fetched again when a token names a key not yet seen
// (a rotation), at most once per cooldown so forged key ids cannot make Warden hammer the provider.
import { createLocalJWKSet, errors, type JWTVerifyGetKey } from "jose";
import * as z from "zod";
import { type Fetch, fetchJson } from "./discovery.js";

const jwksSchema = z.strictObject({ keys: z.array(z.looseObject({ kty: z.string() })).max(100) }).loose();

export interface JwksOptions {
  fetch?: Fetch;
  now?: () => number;
  /** Least time between two fetches caused by unknown key ids (default 30 s). */
  cooldownMs?: number;
  /** Keys older than this are fetched again before use, so a removed key stops verifying (default 10 min). */
  maxAgeMs?: number;
}

export class JwksCache {
  readonly #uri: () => Promise<string>;
  readonly #fetch: Fetch;
  readonly #now: () => number;
  readonly #cooldownMs: number;
  readonly #maxAgeMs: number;
  #keys: JWTVerifyGetKey | null = null;
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #loading: Promise<void> | null = null;

  constructor(uri: () => Promise<string>, options: JwksOptions = {}) {
    this.#uri = uri;
    this.#fetch = options.fetch ?? fetch;
    this.#now = options.now ?? Date.now;
    this.#cooldownMs = options.cooldownMs ?? 30_000;
    this.#maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
  }

  /** For jose's jwtVerify: the key the token's header names. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    if (this.#keys === null || this.#now() - this.#fetchedAt > this.#maxAgeMs) await this.#refresh();
    try {
      return await (this.#keys as JWTVerifyGetKey)(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey) || this.#now() - this.#fetchedAt < this.#cooldownMs)
        throw err;
      await this.#refresh();
      return (this.#keys as JWTVerifyGetKey)(header, token);
    }
  };

  /** One fetch at a time; callers that arrive meanwhile wait for it. */
  async #refresh(): Promise<void> {
    this.#loading ??= (async () => {
      try {
        const jwks = await fetchJson(this.#fetch, await this.#uri(), jwksSchema);
        this.#keys = createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]);
      } finally {
        // A failed fetch counts too: the cooldown holds while the provider is down.
        this.#fetchedAt = this.#now();
        this.#loading = null;
      }
    })();
    await this.#loading;
  }
}
