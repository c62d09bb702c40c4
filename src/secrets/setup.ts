// Wires the secrets stage for one Warden from the policy's `secrets:` section: providers (their own
// credentials come from the environment), the broker over the ledger, and the redactor.
import { readFileSync } from "node:fs";
import { WardenError } from "../errors.js";
import type { Ledger } from "../ledger/index.js";
import { SecretBroker } from "./broker.js";
import type { SecretProviderConfig, SecretSpec, SecretsSettings } from "./config.js";
import { EnvProvider } from "./providers/env.js";
import { FileProvider } from "./providers/file.js";
import { PostgresProvider } from "./providers/postgres.js";
import { VaultProvider } from "./providers/vault.js";
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
        auth: config.tokenEnv
          ? { token: need(config.tokenEnv) }
          : {
              approle: {
                roleId: need(config.approle!.roleIdEnv),
                secretId: need(config.approle!.secretIdEnv),
                ...(config.approle!.mount ? { mount: config.approle!.mount } : {}),
              },
            },
      });
    case "postgres":
      return new PostgresProvider({ name, adminUrl: need(config.adminUrlEnv), group: config.group });
  }
}

function retryOptions(r: NonNullable<Extract<SecretProviderConfig, { type: "vault" }>["retry"]>) {
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
