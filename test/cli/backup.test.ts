// warden backup: a live SQLite ledger copied with its WAL records, where copying ledger.db alone loses them.
import { copyFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { verifyDatabase } from "../../src/ledger/index.js";
import { appendSerially, sqliteLedger, tempDir } from "../ledger/helpers.js";
import { cli } from "./run-cli.js";

describe("warden backup", () => {
  it("copies every committed record of a ledger in use; ledger.db copied alone lacks those in the WAL", async () => {
    const dir = tempDir();
    const { ledger, db } = await sqliteLedger(dir, { checkpointEvery: 4 });
    await appendSerially(ledger, 10);
    // The writer is still open: its records sit in ledger.db-wal.
    copyFileSync(db, join(dir, "copied.db"));
    copyFileSync(join(dir, "ledger.pub"), join(dir, "copied.pub"));
    const copied = await verifyDatabase(join(dir, "copied.db"));
    expect(copied.ok && copied.records === 10).toBe(false);

    const to = join(dir, "backup.db");
    const result = await cli(["backup", "--db", db, "--to", to], dir);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain("10 records, verified");
    expect(statSync(to).mode & 0o777).toBe(0o600);
    expect(await verifyDatabase(to)).toMatchObject({ ok: true, records: 10, keySource: "beside-ledger" });
    expect((await cli(["backup", "--db", db, "--to", to], dir)).code).toBe(2);
    await ledger.close();
  });
});
