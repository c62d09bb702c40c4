// The `env` provider: a secret read from a named environment variable.

import type { SecretSpec } from "../config.js";
import { SecretError } from "../errors.js";
import type { Lease, RevokeTarget, SecretProvider } from "../types.js";
import { staticLease } from "./static.js";

export interface EnvProviderOptions {
  /** Provider name secret specs refer to (default "env"). */
  name?: string;
  /** The variables to read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Hands out the value of `spec.variable`. Nothing to revoke: the lease only bounds how long Warden
 * considers the tool entitled to it, and the ledger records who got it.
 *
 * @example
 * const env = new EnvProvider();
 * const lease = await env.lease(
 *   { name: "stripe", provider: "env", tools: ["charge"], maxTtlMs: 60_000, variable: "STRIPE_KEY" },
 *   { id: "ses_1", agent: "billing-bot", onBehalfOf: "alice@example.com", deadline: new Date(Date.now() + 60_000) },
 *   60_000,
 * );
 */
export class EnvProvider implements SecretProvider {
  readonly name: string;
  readonly #env: NodeJS.ProcessEnv;

  constructor(options: EnvProviderOptions = {}) {
    this.name = options.name ?? "env";
    this.#env = options.env ?? process.env;
  }

  async lease(spec: SecretSpec, _session: unknown, ttlMs: number): Promise<Lease> {
    const variable = spec.variable;
    if (!variable || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) {
      throw new SecretError("SECRET_UNAVAILABLE", `secret ${spec.name}: no valid variable name`, {
        secret: spec.name,
      });
    }
    const value = this.#env[variable];
    if (value === undefined || value === "") {
      throw new SecretError("SECRET_UNAVAILABLE", `secret ${spec.name}: variable ${variable} is not set`, {
        secret: spec.name,
      });
    }
    return staticLease(this.name, spec, value, ttlMs, new Date());
  }

  /** Nothing to take back: the value is static. */
  async revoke(_lease: RevokeTarget): Promise<void> {}

  async close(): Promise<void> {}
}
