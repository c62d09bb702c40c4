// Applies the PostgreSQL migrations at start (or from `warden db migrate`), one instance at a time.
import type pg from "pg";
import { LedgerUnavailableError } from "../../errors.js";
import { MIGRATIONS, PG_SCHEMA_VERSION } from "./postgres-migrations.js";

export interface MigrateResult {
  from: number;
  to: number;
  applied: number[];
}

const TABLE = `CREATE TABLE IF NOT EXISTS warden_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/**
 * Brings `schema` to PG_SCHEMA_VERSION. A transaction-scoped advisory lock serializes instances that
 * start together; each migration commits with its version row, so a failure leaves a known version.
 */
export async function migrate(client: pg.ClientBase, schema: string): Promise<MigrateResult> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  const from = await currentVersion(client, true);
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (m.version <= from) continue;
    await client.query("BEGIN");
    try {
      await client.query("SELECT pg_advisory_xact_lock(hashtextextended('warden.migrate/' || $1, 0))", [
        schema,
      ]);
      await client.query(TABLE);
      // Another instance may have applied it while this one waited for the lock.
      const done = await client.query("SELECT 1 FROM warden_migrations WHERE version = $1", [m.version]);
      if (done.rowCount === 0) {
        await client.query(m.sql);
        await client.query("INSERT INTO warden_migrations (version, name) VALUES ($1, $2)", [
          m.version,
          m.name,
        ]);
        applied.push(m.version);
      }
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    }
  }
  const to = await currentVersion(client, false);
  if (to > PG_SCHEMA_VERSION) throw newerSchema(to);
  return { from, to, applied };
}

/** For read-only opens: the schema must already be a ledger this version understands. */
export async function checkSchema(client: pg.ClientBase): Promise<number> {
  const v = await currentVersion(client, false);
  if (v === 0) throw new LedgerUnavailableError("not a Warden ledger database (run warden db migrate)");
  if (v > PG_SCHEMA_VERSION) throw newerSchema(v);
  return v;
}

/** The highest applied migration, 0 for an empty schema; refuses a schema newer than this Warden first. */
export async function currentVersion(client: pg.ClientBase, refuseNewer: boolean): Promise<number> {
  const exists = await client.query("SELECT to_regclass('warden_migrations') IS NOT NULL AS present");
  if (!exists.rows[0]?.present) return 0;
  const res = await client.query("SELECT coalesce(max(version), 0) AS v FROM warden_migrations");
  const v = Number(res.rows[0]?.v ?? 0);
  if (refuseNewer && v > PG_SCHEMA_VERSION) throw newerSchema(v);
  return v;
}

function newerSchema(v: number): LedgerUnavailableError {
  return new LedgerUnavailableError(
    `ledger schema ${v} is newer than this Warden understands (${PG_SCHEMA_VERSION})`,
  );
}

/**
 * Creates a table kept beside the versioned schema (it holds no ledger state of its own) once:
 * instances starting together take turns on an advisory lock, and `create` runs, in that transaction,
 * only while `table` is still absent.
 */
export async function ensureSideTable(
  client: pg.ClientBase,
  schema: string,
  table: string,
  create: () => Promise<void>,
): Promise<void> {
  const present = async () =>
    (await client.query("SELECT to_regclass($1) IS NOT NULL AS present", [table])).rows[0]?.present;
  if (await present()) return;
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))", [
      `warden.${table}`,
      schema,
    ]);
    if (!(await present())) await create();
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}
