// Several writers on one SQLite file, as several processes would be: one valid chain, per-chain verification.
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { generateKeyPair, Ledger, SqliteStore, verifyDatabase } from "../../src/ledger/index.js";
import { intent, tempDir } from "./helpers.js";

async function twoWriters(options: { every?: number; chains?: [string, string] } = {}) {
  const dir = tempDir();
  const db = join(dir, "ledger.db");
  const keys = await generateKeyPair(dir);
  const open = async (chain: string) =>
    Ledger.open({
      store: await SqliteStore.open(db),
      chain,
      signingKey: keys.privateKey,
      checkpointEvery: options.every ?? 1000,
      checkpointSeconds: 0,
    });
  const [c1, c2] = options.chains ?? ["main", "main"];
  return { db, a: await open(c1), b: await open(c2) };
}

describe("several writers on one file", () => {
  it("appending alternately yields one contiguous, valid chain", async () => {
    const { db, a, b } = await twoWriters({ every: 7 });
    const seqs: number[] = [];
    for (let i = 0; i < 20; i++) seqs.push((await (i % 2 ? b : a).append(intent(i))).seq);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await a.close();
    await b.close();
    expect(await verifyDatabase(db)).toMatchObject({
      ok: true,
      records: 20,
      chains: [{ chain: "main", lastCheckpointSeq: 20 }],
    });
  });

  it("a writer's next append sees what another connection committed since its own last one", async () => {
    // Each writer keeps the head it last wrote while the file is unchanged (PRAGMA data_version): runs
    // of appends from one writer use it, and the other writer's commits in between must invalidate it.
    const { db, a, b } = await twoWriters({ every: 4 });
    const seqs: number[] = [];
    for (let i = 0; i < 24; i++) seqs.push((await (Math.floor(i / 3) % 2 ? b : a).append(intent(i))).seq);
    expect(seqs).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    await a.close();
    await b.close();
    expect(await verifyDatabase(db)).toMatchObject({ ok: true, records: 24 });
  });

  it("concurrent bursts from both interleave batch by batch and still verify", async () => {
    const { db, a, b } = await twoWriters({ every: 10 });
    const all = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? b : a).append(intent(i))));
    expect(new Set(all.map((r) => r.seq)).size).toBe(100);
    expect(a.stats().batches + b.stats().batches).toBeLessThan(100);
    await Promise.all([a.close(), b.close()]);
    expect(await verifyDatabase(db)).toMatchObject({ ok: true, records: 100 });
  });

  it("keeps separate chains apart and verifies each", async () => {
    const { db, a, b } = await twoWriters({ chains: ["east", "west"] });
    for (let i = 0; i < 6; i++) await (i % 2 ? b : a).append(intent(i));
    await a.close();
    await b.close();
    expect(await verifyDatabase(db)).toMatchObject({
      ok: true,
      records: 6,
      chains: [
        { chain: "east", records: 3, checkpoints: 1 },
        { chain: "west", records: 3, checkpoints: 1 },
      ],
    });
  });

  it("a writer that cannot get the lock in time fails closed, then carries on", async () => {
    const dir = tempDir();
    const db = join(dir, "ledger.db");
    const keys = await generateKeyPair(dir);
    const ledger = await Ledger.open({
      store: await SqliteStore.open(db, { busyTimeoutMs: 50 }),
      signingKey: keys.privateKey,
      checkpointSeconds: 0,
    });
    await ledger.append(intent(0));
    const other = new Database(db);
    other.exec("BEGIN IMMEDIATE");
    await expect(ledger.append(intent(1))).rejects.toMatchObject({ code: "LEDGER_UNAVAILABLE" });
    other.exec("COMMIT");
    other.close();
    expect((await ledger.append(intent(2))).seq).toBe(2);
    await ledger.close();
    expect(await verifyDatabase(db)).toMatchObject({ ok: true, records: 2 });
  });
});
