// A record whose hash chains and is signed, but whose data does not match its kind's schema, is a finding
// of `warden verify` (malformed-data, by chain and seq) on every backend: SQLite, PostgreSQL, a JSONL export.
import { createPublicKey, type KeyObject } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  exportJsonl,
  keyIdOf,
  Ledger,
  verifyDatabase,
  verifyJsonl,
  verifyPostgres,
} from "../../src/ledger/index.js";
import { appendUnchecked, ephemeralKey, intent, sqliteLedger, tempDir } from "./helpers.js";
import { freshSchema, pgAvailable, pgStore } from "./pg.js";

/** Two good records, the malformed one (a call.intent whose decision is a number), one more good, signed. */
async function ledgerWithMalformed(ledger: Ledger): Promise<number> {
  await ledger.append(intent(1));
  await ledger.append(intent(2));
  const seq = await appendUnchecked(ledger.store, ledger.chain, "call.intent", {
    tool: "send_email",
    args: {},
    decision: 7,
  });
  await ledger.append(intent(3));
  await ledger.checkpointNow();
  return seq;
}

const malformed = (seq: number) => ({
  ok: false,
  chain: "main",
  seq,
  problem: "malformed-data",
  message: expect.stringContaining("call.intent record data.decision"),
});

describe("a hash-valid record of the wrong shape", () => {
  it("is refused by the ledger itself: no writer seals one", async () => {
    const { ledger } = await sqliteLedger(tempDir());
    const bad = { ...intent(1), data: { ...intent(1).data, decision: { effect: "maybe" } } };
    // A writer past the types (plain JS, a cast) is stopped at append, before anything is sealed.
    await expect(ledger.append(bad as unknown as ReturnType<typeof intent>)).rejects.toMatchObject({
      code: "LEDGER_RECORD_MALFORMED",
    });
    expect(await ledger.head()).toBeNull();
    await ledger.close();
  });

  it("is a finding on SQLite, named by chain and seq", async () => {
    const { ledger, db } = await sqliteLedger(tempDir());
    const seq = await ledgerWithMalformed(ledger);
    await ledger.close();
    expect(await verifyDatabase(db)).toMatchObject(malformed(seq));
  });

  it("is a finding in a JSONL export", async () => {
    const dir = tempDir();
    const { ledger, signingKey, publicKey } = await sqliteLedger(dir);
    const seq = await ledgerWithMalformed(ledger);
    const out = join(dir, "export.jsonl");
    await exportJsonl(ledger.store, out, { signingKey });
    await ledger.close();
    expect(await verifyJsonl(out, { publicKey })).toMatchObject({
      ...malformed(seq),
      line: expect.any(Number),
    });
  });

  it("an unknown kind is a finding too", async () => {
    const { ledger, db } = await sqliteLedger(tempDir());
    await ledger.append(intent(1));
    const seq = await appendUnchecked(ledger.store, ledger.chain, "call.rumour", { tool: "x" });
    await ledger.checkpointNow();
    await ledger.close();
    expect(await verifyDatabase(db)).toMatchObject({
      ok: false,
      seq,
      problem: "malformed-data",
      message: expect.stringContaining('unknown record kind "call.rumour"'),
    });
  });
});

describe.skipIf(!pgAvailable)("a hash-valid record of the wrong shape on PostgreSQL", () => {
  it("is a finding, named by chain and seq", async () => {
    const { url } = freshSchema();
    const store = await pgStore({}, url);
    const key = ephemeralKey();
    await store.registerKey(keyIdOf(key), spkiBase64(key));
    await store.claimChain("main");
    const ledger = await Ledger.open({ store, chain: "main", signingKey: key, checkpointSeconds: 0 });
    const seq = await ledgerWithMalformed(ledger);
    expect(await verifyPostgres(url, { publicKey: createPublicKey(key) })).toMatchObject(malformed(seq));
  });
});

function spkiBase64(key: KeyObject): string {
  return createPublicKey(key).export({ type: "spki", format: "der" }).toString("base64");
}
