// Retention: a database or an export whose early records were archived verifies from a signed checkpoint on.

import type { KeyObject } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { beforeEach, describe, expect, it } from "vitest";
import { exportJsonl, verifyDatabase, verifyJsonl } from "../../src/ledger/index.js";
import { appendSerially, sqliteLedger, tempDir } from "./helpers.js";

let dir: string;
let db: string;
let publicKey: KeyObject;
let signingKey: KeyObject;
/** The export of the whole ledger, taken before anything was removed: the archive. */
let archive: string;

/** 12 records with checkpoints at 5, 10 and 12, exported whole to `archive`. */
beforeEach(async () => {
  dir = tempDir();
  const made = await sqliteLedger(dir, { checkpointEvery: 5 });
  await appendSerially(made.ledger, 12);
  await made.ledger.close();
  ({ db, publicKey, signingKey } = made);
  archive = join(dir, "archive.jsonl");
  await exportJsonl(db, archive, { signingKey });
});

/** Removes records through `seq` and the checkpoints before `keepFrom`, as an operator's SQL would. */
function removeThrough(seq: number, keepFrom = seq): void {
  const sql = new Database(db);
  try {
    sql.prepare("DELETE FROM records WHERE seq <= ?").run(seq);
    sql.prepare("DELETE FROM record_index WHERE seq <= ?").run(seq); // their index entries, as prune does
    sql.prepare("DELETE FROM checkpoints WHERE seq < ?").run(keepFrom);
  } finally {
    sql.close();
  }
}

describe("a database that starts at a checkpoint", () => {
  it("verifies from the checkpoint its first record is chained to, and says what was archived", async () => {
    removeThrough(5);
    expect(await verifyDatabase(db, { publicKey })).toMatchObject({
      ok: true,
      records: 7,
      checkpoints: 3,
      chains: [{ chain: "main", records: 7, archivedThrough: 5, lastCheckpointSeq: 12, unsealed: 0 }],
    });
  });

  it("fails as empty when no record follows the checkpoint it starts at", async () => {
    removeThrough(12);
    expect(await verifyDatabase(db, { publicKey })).toMatchObject({ ok: false, problem: "empty" });
  });

  it("still catches a rewritten first record after the checkpoint", async () => {
    removeThrough(5);
    const sql = new Database(db);
    sql.prepare("UPDATE records SET ts = '2020-01-01T00:00:00.000Z' WHERE seq = 6").run();
    sql.close();
    expect(await verifyDatabase(db, { publicKey })).toMatchObject({
      ok: false,
      problem: "hash-mismatch",
      seq: 6,
    });
  });

  it("fails when records after the checkpoint were removed too", async () => {
    removeThrough(6, 5);
    expect(await verifyDatabase(db, { publicKey })).toMatchObject({ ok: false, problem: "seq-gap" });
  });

  it("fails without a checkpoint to start from, unless an archive holding it is given", async () => {
    removeThrough(5, 6);
    expect(await verifyDatabase(db, { publicKey })).toMatchObject({ ok: false, problem: "seq-gap", seq: 1 });
    expect(await verifyDatabase(db, { publicKey, against: [archive] })).toMatchObject({
      ok: true,
      records: 7,
      chains: [{ chain: "main", archivedThrough: 5 }],
    });
  });

  it("a checkpoint held elsewhere that signed another hash at the start fails", async () => {
    removeThrough(5);
    const other = tempDir();
    const made = await sqliteLedger(other, { checkpointEvery: 5, signingKey });
    await appendSerially(made.ledger, 5, 100);
    await made.ledger.close();
    const foreign = join(other, "foreign.jsonl");
    await exportJsonl(made.db, foreign, { signingKey });
    expect(await verifyDatabase(db, { publicKey, against: [foreign] })).toMatchObject({
      ok: false,
      problem: "witness-mismatch",
      seq: 5,
    });
  });
});

describe("an export that starts at a checkpoint", () => {
  it("carries the checkpoint its first record is chained to as its first line and verifies", async () => {
    removeThrough(5);
    const path = join(dir, "later.jsonl");
    await exportJsonl(db, path, { signingKey });
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    expect(JSON.parse(lines[1]!)).toMatchObject({ type: "checkpoint", seq: 5 });
    expect(JSON.parse(lines[2]!)).toMatchObject({ type: "record", seq: 6 });
    expect(await verifyJsonl(path, { publicKey })).toMatchObject({
      ok: true,
      records: 7,
      chains: [{ chain: "main", archivedThrough: 5 }],
    });
    expect(await verifyJsonl(path, { publicKey, against: [archive] })).toMatchObject({ ok: true });
  });

  it("fails when its checkpoint line was edited to another record's hash", async () => {
    removeThrough(5);
    const path = join(dir, "later.jsonl");
    await exportJsonl(db, path, { signingKey });
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    const cp = JSON.parse(lines[1]!);
    lines[1] = JSON.stringify({ ...cp, hash: "a".repeat(64) });
    writeFileSync(path, `${lines.join("\n")}\n`);
    expect(await verifyJsonl(path, { publicKey })).toMatchObject({ ok: false });
  });

  it("without the checkpoint line, verifies only against the archive before it", async () => {
    removeThrough(5, 6);
    const path = join(dir, "later.jsonl");
    await exportJsonl(db, path, { signingKey });
    expect(await verifyJsonl(path, { publicKey })).toMatchObject({ ok: false, problem: "seq-gap" });
    expect(await verifyJsonl(path, { publicKey, against: [archive] })).toMatchObject({
      ok: true,
      records: 7,
      chains: [{ chain: "main", archivedThrough: 5 }],
    });
  });
});
