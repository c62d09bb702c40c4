// Picks the store for a `db` value: a postgres:// URL is PostgreSQL, anything else a SQLite file.
import type { LedgerStore } from "../types.js";
import { PostgresStore } from "./postgres.js";
import { isPostgresUrl } from "./postgres-url.js";
import { SqliteStore } from "./sqlite.js";

/** Opens the store `db` names, for read-side tools (log, export, tokens): no chain is claimed. */
export async function openStoreAt(db: string, options: { readonly?: boolean } = {}): Promise<LedgerStore> {
  return isPostgresUrl(db) ? PostgresStore.open(db, options) : SqliteStore.open(db, options);
}
