// Shared fixtures for the secrets tests: sessions, specs, and a real SQLite ledger whose records can be scanned.
import { generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import { Ledger, type LedgerRecord, SqliteStore } from "../../src/ledger/index.js";
import {
  compileSecrets,
  type SecretSession,
  type SecretSpec,
  secretsSchema,
} from "../../src/secrets/index.js";
import { onCleanup, tempDir } from "../helpers.js";

let n = 0;

export function session(deadlineInMs = 3_600_000, id = `ses_test_${++n}_${Date.now()}`): SecretSession {
  return {
    id,
    agent: "support-bot",
    onBehalfOf: "alice@example.com",
    deadline: new Date(Date.now() + deadlineInMs),
  };
}

/** A ledger on a real SQLite file (closed after the test) and its path, to reopen after a "crash". */
export async function sqliteLedger(
  path = join(tempDir(), "ledger.db"),
): Promise<{ ledger: Ledger; path: string }> {
  const store = await SqliteStore.open(path);
  const ledger = await Ledger.open({
    store,
    signingKey: generateKeyPairSync("ed25519").privateKey,
    checkpointSeconds: 0,
  });
  onCleanup(() => ledger.close().catch(() => undefined));
  return { ledger, path };
}

/** Every record of the ledger, in chain order. */
export async function allRecords(ledger: Ledger): Promise<LedgerRecord[]> {
  return ledger.store.query({});
}

/** Fails when any record's JSON holds `secret` (raw, or JSON-escaped as a record would hold it). */
export function assertNoSecret(records: readonly LedgerRecord[], secret: string): void {
  const escaped = JSON.stringify(secret).slice(1, -1);
  for (const r of records) {
    const json = JSON.stringify(r);
    if (json.includes(secret) || json.includes(escaped)) {
      throw new Error(`record ${r.seq} (${r.kind}) holds a secret value`);
    }
  }
}

/** A KV v2 secret (`secret/app/stripe`, field `api_key`) handed to every tool as `ctx.secret`. */
export const kvSpec: SecretSpec = {
  name: "stripe",
  provider: "vault",
  tools: ["*"],
  maxTtlMs: 600_000,
  inject: { context: "secret" },
  kv: { mount: "secret", path: "app/stripe", field: "api_key" },
};

/** A Vault database-engine lease (role `readonly` of the `database` mount). */
export const credsSpec: SecretSpec = {
  name: "db",
  provider: "vault",
  tools: ["*"],
  maxTtlMs: 600_000,
  inject: { context: "secret" },
  creds: { mount: "database", role: "readonly" },
};

/** The secrets stage's config for one Vault provider (`provider`: its address and login) and the KV item `stripe`. */
export function vaultKvSecrets(provider: Record<string, unknown>) {
  return compileSecrets(
    secretsSchema.parse({
      providers: { vault: { type: "vault", ...provider } },
      items: {
        stripe: {
          provider: "vault",
          tools: ["pay"],
          inject: { context: "secret" },
          kv: { mount: "secret", path: "app/stripe", field: "api_key" },
        },
      },
    }),
  );
}
