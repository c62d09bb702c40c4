// Read-side commands open the ledger database directly, without a policy or a signing key.
import { existsSync } from "node:fs";
import { type LedgerStore, SqliteStore } from "../ledger/index.js";
import { UsageError } from "./args.js";

export async function withStore<T>(db: string, body: (store: LedgerStore) => Promise<T>): Promise<T> {
  if (!existsSync(db)) throw new UsageError(`no ledger at ${db}`);
  const store = await SqliteStore.open(db);
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}
