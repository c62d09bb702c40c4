// Long ledger operations report their progress to an observer (the CLI's progress bar), and only observe:
// the verdict is the same with and without it.
import { createPublicKey } from "node:crypto";
import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exportJsonl, Ledger, verifyDatabase, verifyJsonl, verifyPostgres } from "../../src/ledger/index.js";
import { appendSerially, ephemeralKey, intent, sqliteLedger, tempDir } from "./helpers.js";
import { freshSchema, pgAvailable, pgStore } from "./pg.js";

function recorder() {
  const calls: [number, number][] = [];
  return { calls, onProgress: (done: number, total: number) => void calls.push([done, total]) };
}

describe("progress of verify and export", () => {
  it("SQLite verify counts records, JSONL verify bytes, export records; results unchanged", async () => {
    const dir = tempDir();
    const { ledger, db, signingKey } = await sqliteLedger(dir, { checkpointEvery: 1000 });
    await Promise.all(Array.from({ length: 9000 }, (_, i) => ledger.append(intent(i))));
    await appendSerially(ledger, 5, 9000);
    await ledger.close();

    const verified = recorder();
    const result = await verifyDatabase(db, { onProgress: verified.onProgress });
    expect(result).toEqual(await verifyDatabase(db));
    expect(result).toMatchObject({ ok: true, records: 9005 });
    expect(verified.calls.length).toBeGreaterThan(1); // pages of 8192
    expect(verified.calls.at(-1)).toEqual([9005, 9005]);

    const out = join(dir, "ledger.jsonl");
    const exported = recorder();
    await exportJsonl(db, out, { signingKey, onProgress: exported.onProgress });
    expect(exported.calls.at(-1)).toEqual([9005, 9005]);

    const read = recorder();
    expect((await verifyJsonl(out, { onProgress: read.onProgress })).ok).toBe(true);
    const size = statSync(out).size;
    expect(read.calls.at(-1)).toEqual([size, size]);
    for (const [done, total] of read.calls) expect(done).toBeLessThanOrEqual(total);
  });

  it.runIf(pgAvailable)("PostgreSQL verify counts the records of every chain", async () => {
    const { url } = freshSchema();
    const store = await pgStore({}, url);
    const signingKey = ephemeralKey();
    const ledger = await Ledger.open({
      store,
      signingKey,
      chain: "node-1",
      checkpointSeconds: 0,
    });
    await appendSerially(ledger, 20);
    await ledger.checkpointNow();
    const seen = recorder();
    const result = await verifyPostgres(url, {
      publicKey: createPublicKey(signingKey),
      onProgress: seen.onProgress,
    });
    expect(result).toMatchObject({ ok: true, records: 20 });
    expect(seen.calls).toEqual([[20, 20]]);
  });
});
