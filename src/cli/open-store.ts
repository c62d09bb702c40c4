// Read-side commands open the ledger database (SQLite file or PostgreSQL) directly, without a policy or a key.
import { existsSync } from "node:fs";
import { isPostgresUrl, type LedgerStore, openStoreAt } from "../ledger/index.js";
import { missing } from "./args.js";

export async function withStore<T>(db: string, body: (store: LedgerStore) => Promise<T>): Promise<T> {
  if (!isPostgresUrl(db) && !existsSync(db)) throw missing(`no ledger at ${db}`);
  // PostgreSQL: no migrations, writer or listener for a reader (an auditor may have read-only rights).
  const store = await openStoreAt(db, { readonly: isPostgresUrl(db) });
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}
