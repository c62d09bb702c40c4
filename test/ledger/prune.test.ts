// pruneSqlite / warden prune: archived records leave a live SQLite ledger only behind a verified archive, and the ledger still verifies.
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { beforeEach, describe, expect, it } from "vitest";
import { exportJsonl, Ledger, pruneSqlite, SqliteStore, verifyDatabase } from "../../src/ledger/index.js";
import { cli } from "../cli/run-cli.js";
import { appendSerially, sqliteLedger, tempDir } from "./helpers.js";

let dir: string;
let db: string;
let signingKey: KeyObject;
let archive: string;

/** 12 records with checkpoints at 5, 10 and 12, exported whole to `archive`. */
beforeEach(async () => {
  dir = tempDir();
  const made = await sqliteLedger(dir, { checkpointEvery: 5 });
  await appendSerially(made.ledger, 12);
  await made.ledger.close();
  ({ db, signingKey } = made);
  archive = join(dir, "archive.jsonl");
  await exportJsonl(db, archive, { signingKey });
});

function count(table: string): number {
  const sql = new Database(db, { readonly: true });
  try {
    return sql.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  } finally {
    sql.close();
  }
}

describe("pruneSqlite", () => {
  it("removes the records through a checkpoint; the ledger verifies from it and keeps growing", async () => {
    expect(await pruneSqlite(db, { through: 5, archive })).toEqual({
      chain: "main",
      removedRecords: 5,
      removedCheckpoints: 0,
    });
    expect(count("records")).toBe(7);
    expect(await verifyDatabase(db, { publicKey: join(dir, "ledger.pub") })).toMatchObject({
      ok: true,
      records: 7,
      chains: [{ chain: "main", archivedThrough: 5 }],
    });
    const reopened = await Ledger.open({
      store: await SqliteStore.open(db),
      signingKey,
      checkpointEvery: 5,
      checkpointSeconds: 0,
    });
    await appendSerially(reopened, 3, 12);
    await reopened.close();
    expect(await verifyDatabase(db)).toMatchObject({ ok: true, records: 10 });
    // A second prune further on, with a newer archive that starts where the ledger now starts.
    const later = join(dir, "later.jsonl");
    await exportJsonl(db, later, { signingKey });
    expect(await pruneSqlite(db, { through: 10, archive: later })).toMatchObject({ removedRecords: 5 });
    expect(await verifyDatabase(db)).toMatchObject({ ok: true, chains: [{ archivedThrough: 10 }] });
  });

  it("prunes while a writer has the ledger open; the writer goes on and the ledger verifies", async () => {
    const liveDir = tempDir();
    const live = await sqliteLedger(liveDir, { checkpointEvery: 5 });
    await appendSerially(live.ledger, 12);
    const liveArchive = join(liveDir, "archive.jsonl");
    await exportJsonl(live.db, liveArchive, { signingKey: live.signingKey });
    expect(await pruneSqlite(live.db, { through: 10, archive: liveArchive })).toMatchObject({
      removedRecords: 10,
    });
    await appendSerially(live.ledger, 4, 12);
    await live.ledger.close();
    expect(await verifyDatabase(live.db, { publicKey: live.publicKey })).toMatchObject({
      ok: true,
      records: 6,
      chains: [{ archivedThrough: 10, lastCheckpointSeq: 16 }],
    });
  });

  it("refuses a seq that is not a checkpoint's, and removes nothing", async () => {
    await expect(pruneSqlite(db, { through: 7, archive })).rejects.toMatchObject({
      code: "LEDGER_PRUNE_REFUSED",
    });
    expect(count("records")).toBe(12);
  });

  it("refuses to remove the chain's last record", async () => {
    await expect(pruneSqlite(db, { through: 12, archive })).rejects.toMatchObject({
      code: "LEDGER_PRUNE_REFUSED",
    });
    expect(count("records")).toBe(12);
  });

  it("refuses an archive that does not reach the seq", async () => {
    const early = join(dir, "early.jsonl");
    const dir2 = tempDir();
    const small = await sqliteLedger(dir2, { checkpointEvery: 5, signingKey });
    await appendSerially(small.ledger, 5);
    await small.ledger.close();
    await exportJsonl(small.db, early, { signingKey });
    await expect(pruneSqlite(db, { through: 10, archive: early })).rejects.toMatchObject({
      code: "LEDGER_PRUNE_REFUSED",
    });
    expect(count("records")).toBe(12);
  });

  it("refuses an archive that does not verify, or is another ledger's", async () => {
    const lines = readFileSync(archive, "utf8").trimEnd().split("\n");
    const record = JSON.parse(lines[2]!);
    lines[2] = JSON.stringify({ ...record, ts: "2020-01-01T00:00:00.000Z" });
    const edited = join(dir, "edited.jsonl");
    writeFileSync(edited, `${lines.join("\n")}\n`);
    await expect(pruneSqlite(db, { through: 5, archive: edited })).rejects.toMatchObject({
      code: "LEDGER_PRUNE_REFUSED",
    });

    const dir2 = tempDir();
    const other = await sqliteLedger(dir2, { checkpointEvery: 5, signingKey });
    await appendSerially(other.ledger, 12, 500);
    await other.ledger.close();
    const foreign = join(dir2, "foreign.jsonl");
    await exportJsonl(other.db, foreign, { signingKey });
    await expect(pruneSqlite(db, { through: 5, archive: foreign })).rejects.toMatchObject({
      code: "LEDGER_PRUNE_REFUSED",
    });

    const stranger = generateKeyPairSync("ed25519");
    const signedElsewhere = join(dir, "stranger.jsonl");
    await exportJsonl(db, signedElsewhere, {
      signingKey: stranger.privateKey,
      publicKey: stranger.publicKey,
    });
    await expect(pruneSqlite(db, { through: 5, archive: signedElsewhere })).rejects.toMatchObject({
      code: "LEDGER_PRUNE_REFUSED",
    });
    expect(count("records")).toBe(12);
  });
});

describe("warden prune", () => {
  it("prunes through a checkpoint with a verified archive and says what it removed", async () => {
    const result = await cli(["prune", "--db", db, "--through", "10", "--archive", archive], dir);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain("10 records and 1 checkpoints removed");
    expect(result.stdout).toContain("the ledger verifies from checkpoint 10: 2 records");
    const verify = await cli(["verify", "--db", db], dir);
    expect(verify.stdout).toContain("after signed checkpoint 10 (earlier records archived)");
  });

  it("exits 1 with LEDGER_PRUNE_REFUSED and 2 on a bad --through", async () => {
    const refused = await cli(["prune", "--db", db, "--through", "7", "--archive", archive], dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("LEDGER_PRUNE_REFUSED");
    expect((await cli(["prune", "--db", db, "--through", "x", "--archive", archive], dir)).code).toBe(2);
  });
});
