// The PostgreSQL store beyond the shared suite: migrations, one writer per chain, keys, verify and the CLI.
import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import {
  exportJsonl,
  generateKeyPair,
  keyIdOf,
  Ledger,
  MemoryStore,
  PG_SCHEMA_VERSION,
  PostgresStore,
  redactUrl,
  verifyJsonl,
  verifyPostgres,
} from "../../src/ledger/index.js";
import { cli } from "../cli/run-cli.js";
import { appendSerially, ephemeralKey, intent, tempDir, v1Checkpoint } from "./helpers.js";
import { admin, afterTest, freshSchema, PG_BASE, pgAvailable, pgStore } from "./pg.js";

const V1_FIXTURE = join(import.meta.dirname, "fixtures/postgres-v1.sql");

function spki(key: ReturnType<typeof ephemeralKey>): string {
  return createPublicKey(key).export({ type: "spki", format: "der" }).toString("base64");
}

async function ledgerOn(store: PostgresStore, chain: string, key = ephemeralKey()) {
  await store.registerKey(keyIdOf(key), spki(key));
  await store.claimChain(chain);
  return Ledger.open({ store, chain, signingKey: key, checkpointEvery: 5, checkpointSeconds: 0 });
}

describe.skipIf(!pgAvailable)("PostgreSQL store", () => {
  it("migrates an empty schema to the current version, and again is a no-op", async () => {
    const { url, schema } = freshSchema();
    const first = await PostgresStore.migrate(url);
    expect(first).toMatchObject({ from: 0, to: PG_SCHEMA_VERSION, schema });
    expect(first.applied).toEqual(Array.from({ length: PG_SCHEMA_VERSION }, (_, i) => i + 1));
    expect(await PostgresStore.migrate(url)).toMatchObject({
      from: PG_SCHEMA_VERSION,
      to: PG_SCHEMA_VERSION,
      applied: [],
    });
    const store = await pgStore({}, url);
    expect(await store.head("main")).toBeNull();
  });

  it("migrates a version-1 database with records, which still verify and keep growing", async () => {
    const { url, schema } = freshSchema();
    await admin(async (c) => {
      await c.query(`CREATE SCHEMA "${schema}"`);
      await c.query(`SET search_path = "${schema}"`);
      await c.query(readFileSync(V1_FIXTURE, "utf8"));
    });
    // Records a v1 Warden wrote: sealed by the ledger, copied in as v1 rows.
    const key = ephemeralKey();
    const mem = new MemoryStore();
    const old = await Ledger.open({
      store: mem,
      chain: "node-1",
      signingKey: key,
      checkpointEvery: 4,
      checkpointSeconds: 0,
    });
    await appendSerially(old, 10);
    await admin(async (c) => {
      for (const r of await mem.readChain("node-1", 1, 100)) {
        await c.query(
          "INSERT INTO records (chain, seq, v, ts, kind, session, agent, call_id, data, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
          [r.chain, r.seq, r.v, r.ts, r.kind, r.session, r.agent, r.callId, JSON.stringify(r.data), r.hash],
        );
      }
      // Format-1 checkpoints at the same places, as the previous version signed them.
      for (const cp of (await mem.checkpoints("node-1")).map((c) => v1Checkpoint(key, c))) {
        await c.query("INSERT INTO checkpoints VALUES ($1,$2,$3,$4,$5,$6)", [
          cp.chain,
          cp.seq,
          cp.ts,
          cp.hash,
          cp.signature,
          cp.keyId,
        ]);
      }
    }, schema);
    const store = await pgStore({}, url);
    const version = await admin((c) => c.query("SELECT max(version) AS v FROM warden_migrations"), schema);
    expect(version.rows[0].v).toBe(PG_SCHEMA_VERSION);
    const ledger = await ledgerOn(store, "node-1", key);
    await appendSerially(ledger, 3, 10);
    expect(await store.head("node-1")).toMatchObject({ seq: 13 });
    expect(await store.query({ tool: "send_email", limit: 100 })).toHaveLength(7);
    await ledger.checkpointNow();
    expect(await verifyPostgres(url, { publicKey: createPublicKey(key) })).toMatchObject({
      ok: true,
      records: 13,
    });
  });

  it("refuses a schema newer than it understands", async () => {
    const { url, schema } = freshSchema();
    await PostgresStore.migrate(url);
    await admin(
      (c) => c.query("INSERT INTO warden_migrations (version, name) VALUES (99, 'future')"),
      schema,
    );
    await expect(PostgresStore.open(url)).rejects.toMatchObject({ code: "LEDGER_UNAVAILABLE" });
    await expect(PostgresStore.open(url, { readonly: true })).rejects.toMatchObject({
      code: "LEDGER_UNAVAILABLE",
    });
  });

  it("gives each chain one writer: a second claim fails closed, unnamed claims take the next free chain", async () => {
    const { url } = freshSchema();
    const a = await pgStore({}, url);
    const b = await pgStore({}, url);
    expect(await a.claimChain()).toBe("node-1");
    expect(await b.claimChain()).toBe("node-2");
    await expect(b.claimChain("node-1")).rejects.toMatchObject({ code: "LEDGER_CHAIN_LOCKED" });
    // Appending to a chain another process holds is refused too, and nothing is written.
    await expect(b.append("node-1", () => ({ records: [], checkpoint: null }))).rejects.toMatchObject({
      code: "LEDGER_UNAVAILABLE",
    });
    await a.close();
    expect(await b.claimChain("node-1")).toBe("node-1");
  });

  it("a NUL in a caller's strings never sinks its batch-mates (PostgreSQL text cannot hold NUL)", async () => {
    const store = await pgStore();
    const ledger = await ledgerOn(store, "node-1");
    const data = { onBehalfOf: "bad\u0000user", intent: "x", parent: null };
    const results = await Promise.allSettled([
      ledger.append(intent(1)),
      ledger.append({ kind: "session.start", session: "s-nul", agent: "bot", callId: null, data }),
      ledger.append({ kind: "session.start", session: "s-bad", agent: "b\u0000t", callId: null, data }),
      ledger.append(intent(2)),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: "INVALID_REQUEST" });
    expect(await store.session("s-nul")).toMatchObject({ onBehalfOf: "bad\uFFFDuser" });
    // The record keeps the exact string (escaped inside its JSON), so it still verifies.
    const [start] = await store.query({ session: "s-nul" });
    expect(start?.data.onBehalfOf).toBe("bad\u0000user");
  });

  it("group commit: concurrent appends share transactions, and each resolves only once committed", async () => {
    const { url, schema } = freshSchema();
    const store = await pgStore({}, url);
    const ledger = await ledgerOn(store, "node-1");
    const before = ledger.stats();
    const reader = new pg.Pool({ connectionString: PG_BASE, options: `-c search_path="${schema}"`, max: 4 });
    afterTest(() => reader.end());
    const seen = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const r = await ledger.append(intent(i));
        // Another connection sees it the moment the caller resumes: it was committed, not just sent.
        return (await reader.query("SELECT 1 FROM records WHERE call_id = $1", [r.callId])).rowCount;
      }),
    );
    expect(seen.every((n) => n === 1)).toBe(true);
    const after = ledger.stats();
    expect(after.records - before.records).toBe(300);
    // Appends that arrived while a batch was in flight waited for the next one: few transactions, no overlap.
    expect(after.batches - before.batches).toBeLessThan(30);
    expect(after.largestBatch).toBeGreaterThan(10);
  });

  it("keeps one signing key per database", async () => {
    const store = await pgStore();
    const k1 = ephemeralKey();
    await store.registerKey(keyIdOf(k1), spki(k1));
    await store.registerKey(keyIdOf(k1), spki(k1));
    const k2 = ephemeralKey();
    await expect(store.registerKey(keyIdOf(k2), spki(k2))).rejects.toMatchObject({
      code: "LEDGER_KEY_MISMATCH",
    });
    expect(await store.publicKeys()).toEqual([spki(k1)]);
  });

  it("verifies every chain, names a tampered record, and exports all chains", async () => {
    const { url, schema } = freshSchema();
    const a = await pgStore({}, url);
    const b = await pgStore({}, url);
    const key = ephemeralKey();
    const la = await ledgerOn(a, "node-1", key);
    const lb = await ledgerOn(b, "node-2", key);
    await Promise.all([appendSerially(la, 12), appendSerially(lb, 7, 100)]);
    await la.close();
    await lb.close();
    const ok = await verifyPostgres(url);
    expect(ok).toMatchObject({ ok: true, records: 19, keySource: "beside-ledger" });
    if (ok.ok)
      expect(ok.chains.map((c) => [c.chain, c.records])).toEqual([
        ["node-1", 12],
        ["node-2", 7],
      ]);

    const reader = await pgStore({ readonly: true }, url);
    const all = await reader.query({ newestFirst: false });
    expect(all).toHaveLength(19);
    const order = all.map((r) => `${r.ts}|${r.chain}|${String(r.seq).padStart(4, "0")}`);
    expect(order).toEqual([...order].sort());
    const out = join(tempDir(), "all.jsonl");
    expect(await exportJsonl(url, out, { signingKey: key })).toMatchObject({
      chains: ["node-1", "node-2"],
      records: 19,
    });
    expect(await verifyJsonl(out, { publicKey: createPublicKey(key) })).toMatchObject({
      ok: true,
      records: 19,
    });

    await admin(
      (c) =>
        c.query(
          "UPDATE records SET data = replace(data, 'read_ticket', 'rm_rf') WHERE chain = 'node-2' AND seq = 4",
        ),
      schema,
    );
    expect(await verifyPostgres(url)).toMatchObject({
      ok: false,
      chain: "node-2",
      seq: 4,
      problem: "hash-mismatch",
    });
    const other = ephemeralKey();
    expect(await verifyPostgres(url, { publicKey: createPublicKey(other) })).toMatchObject({ ok: false });
  });

  it("fails closed with LEDGER_UNAVAILABLE and a redacted message when the server cannot be reached", async () => {
    // Built from parts: a literal URL with a password is exactly what the secret scan refuses.
    const target = new URL("postgres://127.0.0.1:1/nowhere");
    target.username = "warden";
    target.password = "hunter2";
    const url = target.toString();
    const err = await PostgresStore.open(url, { connectTimeoutMs: 500 }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: "LEDGER_UNAVAILABLE" });
    expect(String((err as Error).message)).not.toContain("hunter2");
    expect(redactUrl(url)).toBe("postgres://warden:***@127.0.0.1:1/nowhere");
    expect(await verifyPostgres(url)).toMatchObject({ ok: false, problem: "unreadable" });
  });

  it("warden db migrate, log, verify and export take a postgres:// --db", async () => {
    const { url } = freshSchema();
    const dir = tempDir();
    const migrated = await cli(["db", "migrate", "--db", url], dir);
    expect(migrated).toMatchObject({ code: 0 });
    expect(migrated.stdout).toContain(`0 → ${PG_SCHEMA_VERSION}`);
    const store = await pgStore({}, url);
    const keys = await generateKeyPair(join(dir, "keys"));
    const ledger = await ledgerOn(store, "node-1", keys.privateKey);
    for (let i = 0; i < 3; i++) await ledger.append(intent(i));
    await ledger.checkpointNow();
    const log = await cli(["log", "--db", url, "--json"], dir);
    expect(log.code).toBe(0);
    expect(log.stdout.trim().split("\n")).toHaveLength(3);
    const verified = await cli(["verify", "--db", url], dir, { WARDEN_DB: "ignored.db" });
    expect(verified).toMatchObject({ code: 0 });
    expect(verified.stdout).toContain("chain node-1: 3 records");
    const viaEnv = await cli(["verify"], dir, { WARDEN_DB: url });
    expect(viaEnv.code).toBe(0);
    expect((await cli(["db", "migrate"], dir)).code).toBe(2);
    const exported = ["export", "--db", url, "--jsonl", join(dir, "e.jsonl")];
    // The end line is signed: without the key (none in DIR) the export is refused.
    expect((await cli(exported, dir)).code).not.toBe(0);
    expect((await cli([...exported, "--key-file", keys.paths.privateKey], dir)).code).toBe(0);
    const viaKeyEnv = await cli(exported, dir, { WARDEN_LEDGER_KEY_FILE: keys.paths.privateKey });
    expect(viaKeyEnv.code).toBe(0);
  });
});
