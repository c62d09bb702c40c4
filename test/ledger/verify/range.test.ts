// verifyStoreRange: only the checkpoint-to-checkpoint stretches holding given records, with the full verifier's checks.
import { generateKeyPairSync } from "node:crypto";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { recordHash } from "../../../src/ledger/hash.js";
import { type LedgerRecord, verifyStoreRange } from "../../../src/ledger/index.js";
import { RANGE_READ_LIMIT } from "../../../src/ledger/verify/range.js";
import { appendSerially, sqliteLedger, tempDir } from "../helpers.js";

/** 12 records, a checkpoint every 5: sealed stretches 1–5 and 6–10, unsealed 11–12. */
async function ledgerOf12() {
  const made = await sqliteLedger(tempDir(), { checkpointEvery: 5 });
  await appendSerially(made.ledger, 12);
  return made;
}

const at = (...seqs: number[]) => seqs.map((seq) => ({ chain: "main", seq }));

describe("verifyStoreRange", () => {
  it("checks only the stretches holding the records, and tells sealed from unsealed", async () => {
    const { ledger, publicKey } = await ledgerOf12();
    const store = ledger.store;
    const middle = await verifyStoreRange(store, at(7, 8), { publicKey });
    expect(middle).toMatchObject({ state: "sealed", records: 5, failure: null, keySource: "given" });
    expect(middle.segments).toEqual([
      { chain: "main", from: 6, through: 10, anchoredAt: 5, state: "sealed" },
    ]);

    const spread = await verifyStoreRange(store, at(2, 12), { publicKey });
    expect(spread.state).toBe("unsealed");
    expect(spread.segments.map((s) => [s.from, s.through, s.state])).toEqual([
      [1, 5, "sealed"],
      [11, 12, "unsealed"],
    ]);
    expect(spread.records).toBe(7);
    expect((await verifyStoreRange(store, [], { publicKey })).state).toBe("empty");
    await ledger.close();
  });

  it("fails on an edited record, a rewritten stretch (hashes recomputed) and a foreign key", async () => {
    const { ledger, db, publicKey } = await ledgerOf12();
    const store = ledger.store;
    const raw = new Database(db);
    raw.prepare("UPDATE records SET data = json_set(data, '$.tool', 'rm_rf') WHERE seq = 3").run();
    const edited = await verifyStoreRange(store, at(3), { publicKey });
    expect(edited.failure).toMatchObject({ problem: "hash-mismatch", seq: 3 });
    // Another stretch of the same ledger still verifies.
    expect((await verifyStoreRange(store, at(8), { publicKey })).state).toBe("sealed");

    // Rewrite 6–10 with every hash recomputed: only the checkpoint at 10 can tell.
    const rows = (await store.readChain("main", 5, 6)) as LedgerRecord[];
    let prev = rows[0]!.hash;
    const update = raw.prepare("UPDATE records SET data = ?, hash = ? WHERE seq = ?");
    for (const r of rows.slice(1)) {
      const data = { ...r.data, tool: "rewritten" };
      const { hash: _old, ...body } = { ...r, data };
      prev = recordHash(prev, body);
      update.run(JSON.stringify(data), prev, r.seq);
    }
    raw.close();
    const rewritten = await verifyStoreRange(store, at(9), { publicKey });
    expect(rewritten.state).toBe("failed");
    expect(rewritten.failure).toMatchObject({ problem: "checkpoint-hash", seq: 10 });

    const stranger = generateKeyPairSync("ed25519").publicKey;
    const foreign = await verifyStoreRange(store, at(8), { publicKey: stranger });
    expect(foreign.failure?.problem).toBe("checkpoint-unknown-key");
    await ledger.close();
  });

  it("reads at most RANGE_READ_LIMIT records and reports the rest unchecked", async () => {
    const { ledger, publicKey } = await sqliteLedger(tempDir(), { checkpointEvery: RANGE_READ_LIMIT + 10 });
    const batch = Array.from({ length: 1000 }, (_, i) => ({
      kind: "alert" as const,
      session: null,
      agent: null,
      callId: null,
      data: { i },
    }));
    for (let i = 0; i < (RANGE_READ_LIMIT + 1000) / 1000; i++)
      await Promise.all(batch.map((r) => ledger.append(r)));
    const result = await verifyStoreRange(ledger.store, at(5), { publicKey });
    expect(result).toMatchObject({ state: "unchecked", records: 0, failure: null });
    await ledger.close();
  });
});
