// The writer keeps the cadence it signs (every N records, T seconds after a record, by a timer when records stop), and verify holds tails to it.
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { generateKeyPair, Ledger, SqliteStore, verifyDatabase } from "../../src/ledger/index.js";
import { cli } from "../cli/run-cli.js";
import { intent, sqliteLedger, tempDir } from "./helpers.js";

const T0 = Date.parse("2026-03-01T08:00:00.000Z");

afterEach(() => {
  vi.useRealTimers();
});

/** Lets queued ledger work (it runs on setImmediate, which stays real) finish. */
async function settle(until: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !until(); i++) await new Promise((r) => setImmediate(r));
}

async function writer(options: { every?: number; seconds?: number } = {}) {
  const dir = tempDir();
  const keys = await generateKeyPair(dir);
  const db = join(dir, "ledger.db");
  let now = T0;
  const open = async () =>
    Ledger.open({
      store: await SqliteStore.open(db),
      signingKey: keys.privateKey,
      checkpointEvery: options.every ?? 5,
      checkpointSeconds: options.seconds ?? 10,
      clock: () => new Date(now),
    });
  return {
    db,
    open,
    advance: (ms: number) => {
      now += ms;
      vi.advanceTimersByTime(ms);
    },
    at: (ms: number) => new Date(T0 + ms),
  };
}

describe("checkpoint cadence", () => {
  it("signs records within T seconds by its timer once they stop arriving, then stays idle", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const w = await writer();
    const ledger = await w.open();
    for (let i = 0; i < 3; i++) await ledger.append(intent(i));
    expect(ledger.stats().checkpoints).toBe(0);
    // Read right now, the 3 unsigned records are a fresh tail: reported, allowed.
    const live = await verifyDatabase(w.db, { now: w.at(1000) });
    expect(live).toMatchObject({ ok: true, chains: [{ unsealed: 3, unsealedSince: w.at(0).toISOString() }] });
    // A writer that never signs them: the tail outgrows twice the cadence.
    expect(await verifyDatabase(w.db, { now: w.at(21_000) })).toMatchObject({
      ok: false,
      problem: "unsealed-tail",
      chain: "main",
      seq: 1,
    });
    w.advance(10_000);
    await settle(() => ledger.stats().checkpoints === 1);
    expect(ledger.stats().checkpoints).toBe(1);
    expect(await verifyDatabase(w.db, { now: w.at(3_600_000) })).toMatchObject({
      ok: true,
      chains: [{ unsealed: 0, lastCheckpointSeq: 3 }],
    });
    // Idle: the timer finds nothing to sign.
    w.advance(60_000);
    await settle(() => false);
    expect(ledger.stats().checkpoints).toBe(1);
    await ledger.close();
  });

  it("refuses an unsigned tail dated after the check: no writer made it so (a tail rewritten into the future)", async () => {
    const w = await writer({ seconds: 0 });
    const ledger = await w.open();
    for (let i = 0; i < 3; i++) await ledger.append(intent(i));
    expect(await verifyDatabase(w.db, { now: w.at(0) })).toMatchObject({ ok: true });
    // Within the clocks' skew, fine; ten minutes ahead of the verifier, not.
    expect(await verifyDatabase(w.db, { now: w.at(-60_000) })).toMatchObject({ ok: true });
    expect(await verifyDatabase(w.db, { now: w.at(-600_000) })).toMatchObject({
      ok: false,
      problem: "unsealed-tail",
      message: expect.stringMatching(/dated after this check/),
    });
    await ledger.close();
  });

  it("never leaves N or more records unsigned, whatever the batch sizes", async () => {
    const w = await writer({ every: 5, seconds: 0 });
    const ledger = await w.open();
    for (const size of [1, 3, 7, 2, 9, 4]) {
      await Promise.all(Array.from({ length: size }, (_, i) => ledger.append(intent(i))));
      const result = await verifyDatabase(w.db, { now: w.at(0) });
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.chains[0]!.unsealed).toBeLessThan(5);
    }
    await ledger.close();
  });

  it("a writer that died with an unsigned tail signs it when the chain is opened again", async () => {
    const w = await writer({ seconds: 0 });
    const crashed = await w.open();
    for (let i = 0; i < 3; i++) await crashed.append(intent(i));
    // Its store goes away without the ledger's close (which would sign): what a crash leaves.
    await crashed.store.close();
    expect(await verifyDatabase(w.db, { now: w.at(3_600_000) })).toMatchObject({
      ok: false,
      problem: "unsealed-tail",
    });
    const restarted = await w.open();
    expect(await verifyDatabase(w.db, { now: w.at(3_600_000) })).toMatchObject({
      ok: true,
      chains: [{ unsealed: 0, lastCheckpointSeq: 3 }],
    });
    await restarted.close();
  });
});

describe("warden verify on a live ledger", () => {
  it("reports each chain's unsealed tail: its length and age", async () => {
    const dir = tempDir();
    const { ledger, db } = await sqliteLedger(dir, { checkpointSeconds: 0 });
    for (let i = 0; i < 2; i++) await ledger.append(intent(i));
    const run = await cli(["verify", "--db", db], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /chain main: 2 records, last checkpoint at none; unsealed tail: 2 records, the oldest \d+ s old/,
    );
    await ledger.close();
    expect((await cli(["verify", "--db", db], dir)).stdout).toContain("every record sealed");
  });
});
