// Ledgers written by earlier versions, kept as files: they still verify, and this version takes them over.
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { SqliteStore, verifyDatabase } from "../../src/ledger/index.js";
import { tempDir } from "./helpers.js";

const FIXTURES = join(import.meta.dirname, "fixtures");

describe("a SQLite ledger written by the previous version (schema 3, format-1 checkpoints)", () => {
  function copy(): string {
    const dir = tempDir();
    copyFileSync(join(FIXTURES, "sqlite-v3.db"), join(dir, "ledger.db"));
    return join(dir, "ledger.db");
  }
  const publicKey = join(FIXTURES, "sqlite-v3.pub");

  it("verifies as it is, read-only", async () => {
    const db = copy();
    expect(await verifyDatabase(db, { publicKey })).toMatchObject({
      ok: true,
      records: 10,
      checkpoints: 3,
      chains: [{ chain: "main", lastCheckpointSeq: 10, unsealed: 0 }],
    });
  });

  it("is migrated to schema 4 by this version, its checkpoints kept as format 1, and still verifies", async () => {
    const db = copy();
    await (await SqliteStore.open(db)).close();
    const conn = new Database(db, { readonly: true });
    expect(conn.pragma("user_version", { simple: true })).toBe(4);
    expect(conn.prepare("SELECT DISTINCT v FROM checkpoints").pluck().all()).toEqual([1]);
    conn.close();
    expect(await verifyDatabase(db, { publicKey })).toMatchObject({ ok: true, records: 10 });
    // A rewrite of a sealed record is still caught on the old format.
    const w = new Database(db);
    w.prepare("UPDATE records SET data = '{}' WHERE seq = 3").run();
    w.close();
    expect(await verifyDatabase(db, { publicKey })).toMatchObject({
      ok: false,
      seq: 3,
      problem: "hash-mismatch",
    });
  });
});
