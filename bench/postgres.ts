// PostgreSQL benchmark: durable decisions/s and p99 latency, PostgreSQL vs SQLite, one instance and two, 64 callers.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { Warden } from "../src/index.js";
import { generateKeyPair } from "../src/ledger/index.js";
import { percentile } from "./stats.js";

/** The database the benchmark may use: $WARDEN_BENCH_PG, else the local test database. */
const PG_URL = process.env.WARDEN_BENCH_PG ?? "postgres://postgres@127.0.0.1:5432/test";

export interface PgBenchRow {
  backend: "sqlite" | "postgres";
  instances: number;
  callers: number;
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  recordsPerBatch: number;
}

/** `callers` concurrent callers spread over `wardens`, each doing session.check (a durable decision). */
async function run(wardens: Warden[], total: number, callers: number) {
  const sessions = await Promise.all(
    wardens.map((w) => w.session({ agent: "bench", onBehalfOf: "u", intent: "bench" })),
  );
  const before = wardens.map((w) => w.ledger.stats());
  const latencies: number[] = [];
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: callers }, async (_, c) => {
      const session = sessions[c % sessions.length]!;
      while (next < total) {
        const i = next++;
        const t = process.hrtime.bigint();
        await session.check("read", { i });
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  latencies.sort((a, b) => a - b);
  const after = wardens.map((w) => w.ledger.stats());
  const records = after.reduce((s, a, i) => s + a.records - before[i]!.records, 0);
  const batches = after.reduce((s, a, i) => s + a.batches - before[i]!.batches, 0);
  return {
    perSec: total / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    recordsPerBatch: records / Math.max(1, batches),
  };
}

async function withSchema<T>(body: (url: string) => Promise<T>): Promise<T> {
  const schema = `bench_${process.pid}_${Date.now()}`;
  const url = new URL(PG_URL);
  url.searchParams.set("schema", schema);
  try {
    return await body(url.toString());
  } finally {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

/** Durable decisions/s on PostgreSQL and SQLite with 1 and 2 instances (in this process), 64 callers in all. */
export async function benchPostgres(total = 50_000, callers = 64): Promise<PgBenchRow[]> {
  const rows: PgBenchRow[] = [];
  const policy = { allowed_tools: ["read"] };
  const dir = mkdtempSync(join(tmpdir(), "warden-bench-pg-"));
  try {
    const keys = await generateKeyPair(dir);
    for (const instances of [1, 2]) {
      // SQLite: two instances are two writers on one file, as two processes on one host would be.
      const db = join(dir, `l${instances}.db`);
      const sqlite = [];
      for (let i = 0; i < instances; i++) sqlite.push(await Warden.open({ policy, db }));
      rows.push({ backend: "sqlite", instances, callers, ...(await run(sqlite, total, callers)) });
      for (const w of sqlite) await w.close();

      rows.push(
        await withSchema(async (url) => {
          const wardens = [];
          for (let i = 0; i < instances; i++) {
            wardens.push(await Warden.open({ policy, db: url, signingKey: keys.paths.privateKey }));
          }
          try {
            return {
              backend: "postgres" as const,
              instances,
              callers,
              ...(await run(wardens, total, callers)),
            };
          } finally {
            for (const w of wardens) await w.close();
          }
        }),
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
