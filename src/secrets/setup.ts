// Wires the secrets stage for one Warden from the policy's `secrets:` section: providers (their own
// credentials come from the environment), the broker over the ledger, and the redactor.
import { accessSync, constants, readFileSync } from "node:fs";
import { WardenError } from "../errors.js";
import type { Ledger } from "../ledger/index.js";
import { SecretBroker } from "./broker.js";
import type { SecretProviderConfig, SecretSpec, SecretsSettings } from "./config.js";
import { EnvProvider } from "./providers/env.js";
import { FileProvider } from "./providers/file.js";
import { PostgresProvider } from "./providers/postgres.js";
import { type VaultAuth, VaultProvider } from "./providers/vault.js";
import { SERVICE_ACCOUNT_TOKEN } from "./providers/vault-auth.js";
import { SecretRedactor } from "./redact.js";
import type { Lease, SecretProvider } from "./types.js";

/** How often leases of sessions that ended elsewhere (or whose process died) are looked for. */
const RECOVER_EVERY_MS = 60_000;

export interface SecretStage {
  broker: SecretBroker;
  redactor: SecretRedactor;
  settings: SecretsSettings;
  /** The policy items by secret name, for injection. */
  items: ReadonlyMap<string, SecretSpec>;
  close(): Promise<void>;
}

/** Leases handed to one call, sorted by how they reach the tool. */
export interface Injections {
  env: Record<string, string>;
  headers: { host: string; header: string; value: string }[];
  context: Record<string, string>;
}

/**
 * Opens the providers and recovers leases a crashed process left behind (they are in the ledger).
 * A provider whose credentials the environment lacks stops the start: no tool may run without its secret.
 */
export async function openSecrets(deps: {
  settings: SecretsSettings;
  ledger: Ledger;
  env: Record<string, string | undefined>;
}): Promise<SecretStage> {
  const { settings, ledger, env } = deps;
  const providers = Object.entries(settings.providers).map(([name, config]) =>
    providerFor(name, config, env),
  );
  const redactor = new SecretRedactor();
  const broker = new SecretBroker({
    secrets: settings.items,
    providers,
    record: (input) => ledger.append(input),
    redactor,
  });
  await broker.recoverOrphans(ledger.store);
  const timer = setInterval(() => {
    broker.recoverOrphans(ledger.store).catch(() => undefined); // retried on the next tick
  }, RECOVER_EVERY_MS);
  timer.unref();
  return {
    broker,
    redactor,
    settings,
    items: new Map(settings.items.map((i) => [i.name, i])),
    async close() {
      clearInterval(timer);
      await broker.close();
    },
  };
}

/** Sorts a call's leases by the policy's `inject:` of each. */
export function injectionsOf(leases: readonly Lease[], items: ReadonlyMap<string, SecretSpec>): Injections {
  const out: Injections = { env: {}, headers: [], context: {} };
  for (const lease of leases) {
    const inject = items.get(lease.name)?.inject;
    if (!inject) continue;
    // Dynamic database credentials come with a login name: it travels beside the value.
    if ("env" in inject) {
      out.env[inject.env] = lease.secret;
      if (lease.username) out.env[`${inject.env}_USERNAME`] = lease.username;
    } else if ("header" in inject) {
      const h = inject.header;
      out.headers.push({ host: h.host, header: h.name, value: `${h.prefix ?? ""}${lease.secret}` });
    } else {
      out.context[inject.context] = lease.secret;
      if (lease.username) out.context[`${inject.context}Username`] = lease.username;
    }
  }
  return out;
}

function providerFor(
  name: string,
  config: SecretProviderConfig,
  env: Record<string, string | undefined>,
): SecretProvider {
  const need = (variable: string) => {
    const value = env[variable];
    if (!value) {
      throw new WardenError(
        "SECRET_UNAVAILABLE",
        `secrets provider "${name}": environment variable ${variable} is not set`,
      );
    }
    return value;
  };
  switch (config.type) {
    case "env":
      return new EnvProvider({ name, env });
    case "file":
      return new FileProvider({ name });
    case "vault":
      return new VaultProvider({
        name,
        address: config.address,
        ...(config.namespace ? { namespace: config.namespace } : {}),
        // Read at start: a missing CA file stops the start, not the first tool call.
        ...(config.caFile ? { ca: readCa(name, config.caFile) } : {}),
        ...(config.serverName ? { serverName: config.serverName } : {}),
        ...(config.timeout !== undefined ? { timeoutMs: config.timeout } : {}),
        ...(config.retry ? { retry: retryOptions(config.retry) } : {}),
        auth: vaultAuth(name, config, need),
      });
    case "postgres":
      return new PostgresProvider({ name, adminUrl: need(config.adminUrlEnv), group: config.group });
  }
}

type VaultConfig = Extract<SecretProviderConfig, { type: "vault" }>;

/**
 * The provider's login from the policy (the schema lets exactly one through). Variables are read now; a
 * JWT file is only checked now (readable), and read at each login, as it is rotated in place.
 */
function vaultAuth(name: string, config: VaultConfig, need: (variable: string) => string): VaultAuth {
  const mount = (m: string | undefined) => (m ? { mount: m } : {});
  if (config.tokenEnv) return { token: need(config.tokenEnv) };
  if (config.approle) {
    const { roleIdEnv, secretIdEnv } = config.approle;
    return {
      approle: { roleId: need(roleIdEnv), secretId: need(secretIdEnv), ...mount(config.approle.mount) },
    };
  }
  if (config.kubernetes) {
    const { role, jwtFile } = config.kubernetes;
    readable(name, jwtFile ?? SERVICE_ACCOUNT_TOKEN);
    return { kubernetes: { role, ...mount(config.kubernetes.mount), ...(jwtFile ? { jwtFile } : {}) } };
  }
  const jwt = config.jwt!;
  if (jwt.jwtFile) readable(name, jwt.jwtFile);
  return {
    jwt: {
      ...(jwt.role ? { role: jwt.role } : {}),
      ...mount(jwt.mount),
      ...(jwt.jwtFile ? { jwtFile: jwt.jwtFile } : { jwt: need(jwt.jwtEnv!) }),
    },
  };
}

/** A JWT file that cannot be read stops the start, not the first tool call. */
function readable(provider: string, path: string): void {
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new WardenError(
      "SECRET_PROVIDER_FAILED",
      `secrets provider "${provider}": cannot read the JWT file ${path} (${typeof code === "string" ? code : "error"})`,
    );
  }
}

function retryOptions(r: NonNullable<VaultConfig["retry"]>) {
  return {
    ...(r.attempts !== undefined ? { attempts: r.attempts } : {}),
    ...(r.minDelay !== undefined ? { minDelayMs: r.minDelay } : {}),
    ...(r.maxDelay !== undefined ? { maxDelayMs: r.maxDelay } : {}),
  };
}

function readCa(provider: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new WardenError(
      "SECRET_PROVIDER_FAILED",
      `secrets provider "${provider}": cannot read caFile ${path} (${typeof code === "string" ? code : "error"})`,
    );
  }
}
