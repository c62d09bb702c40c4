// PostgreSQL for tests: one random schema per test, dropped afterwards; skipped when no server answers.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterEach } from "vitest";
import { PostgresStore, type PostgresStoreOptions } from "../../src/ledger/index.js";

/** The test database (trust auth): $WARDEN_TEST_PG, else postgres@127.0.0.1:5432/test. */
export const PG_BASE = process.env.WARDEN_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/test";

async function probe(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_BASE, connectionTimeoutMillis: 2000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** False when no PostgreSQL answers: the PostgreSQL tests are skipped (and say so). */
export const pgAvailable = await probe();

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

/** Runs SQL as the test user outside any Warden schema (creating, dropping, terminating). */
export async function admin<T>(fn: (client: pg.Client) => Promise<T>, schema?: string): Promise<T> {
  const client = new pg.Client({
    connectionString: PG_BASE,
    ...(schema ? { options: `-c search_path="${schema}"` } : {}),
  });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh schema name, dropped (with everything in it) after the test; the URL selects it. */
export function freshSchema(): { schema: string; url: string } {
  const schema = `wt_${randomBytes(6).toString("hex")}`;
  cleanups.unshift(() =>
    admin((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).then(() => undefined)),
  );
  const url = new URL(PG_BASE);
  url.searchParams.set("schema", schema);
  return { schema, url: url.toString() };
}

/** A store in a fresh schema, closed after the test. */
export async function pgStore(
  options: PostgresStoreOptions = {},
  url = freshSchema().url,
): Promise<PostgresStore> {
  const store = await PostgresStore.open(url, options);
  cleanups.push(() => store.close());
  return store;
}

/** Registers a cleanup that runs after the test, before the schemas are dropped. */
export function afterTest(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

/**
 * Cuts (pg_terminate_backend) the connections of `applicationName` once one of them waits for a lock,
 * i.e. while Warden holds it checked out in the middle of its work; returns how many were cut.
 */
export async function terminateWhenBlocked(applicationName: string): Promise<number> {
  return admin(async (c) => {
    for (;;) {
      const waiting = await c.query(
        "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
        [applicationName],
      );
      if (waiting.rowCount !== 0) break;
      await new Promise((r) => setImmediate(r));
    }
    const cut = await c.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
      [applicationName],
    );
    return cut.rowCount ?? 0;
  });
}
