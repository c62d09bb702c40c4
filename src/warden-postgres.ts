// Opening Warden on PostgreSQL: the shared signing key, the store, and the chain this instance writes.
import { createPublicKey, type KeyObject } from "node:crypto";
import { existsSync } from "node:fs";
import { WardenError } from "./errors.js";
import {
  generateKeyPair,
  keyIdOf,
  loadSigningKey,
  PostgresStore,
  type PostgresStoreOptions,
} from "./ledger/index.js";

/**
 * Opens the store, makes sure this instance signs with the database's key, and claims a chain.
 * A key file is created only for a database that has no key yet: a second instance with a fresh key
 * would sign checkpoints that the database's public key cannot verify.
 */
export async function openPostgres(
  db: string,
  keyPath: string,
  chain: string | undefined,
  options: Omit<PostgresStoreOptions, "readonly"> = {},
): Promise<{ store: PostgresStore; signingKey: KeyObject; chain: string }> {
  const store = await PostgresStore.open(db, options);
  try {
    if (!existsSync(keyPath)) {
      if ((await store.publicKeys()).length > 0) {
        throw new WardenError(
          "LEDGER_KEY_MISSING",
          `no signing key at ${keyPath}; this database is signed with an existing key: copy that ledger.key here`,
        );
      }
      const pub = keyPath.endsWith(".key") ? `${keyPath.slice(0, -4)}.pub` : `${keyPath}.pub`;
      // Two instances starting together on one folder: the loser of the race loads the winner's key.
      await generateKeyPair({ privateKey: keyPath, publicKey: pub }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "EEXIST") throw err;
      });
    }
    const signingKey = await loadSigningKey(keyPath);
    const spki = createPublicKey(signingKey).export({ type: "spki", format: "der" }).toString("base64");
    await store.registerKey(keyIdOf(signingKey), spki);
    return { store, signingKey, chain: await store.claimChain(chain) };
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
}
