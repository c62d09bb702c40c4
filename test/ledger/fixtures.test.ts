// Ledgers written by earlier versions, kept as files: they still verify, and this version takes them over.
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import {
  checkRecordData,
  RECORD_KINDS,
  SqliteStore,
  verifyDatabase,
  verifyJsonl,
} from "../../src/ledger/index.js";
import { SCHEMA_VERSION } from "../../src/ledger/stores/sqlite-schema.js";
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

  it("is migrated to this version's schema, its checkpoints kept as format 1, its tokens usable, and still verifies", async () => {
    const db = copy();
    const store = await SqliteStore.open(db);
    const intents = await store.query({ kinds: ["call.intent"] });
    await store.close();
    const conn = new Database(db, { readonly: true });
    expect(conn.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    // v5 added token expiry and last use: tokens minted before it never expire and were never used.
    const tokenColumns = conn.prepare("SELECT name FROM pragma_table_info('tokens')").pluck().all();
    expect(tokenColumns).toEqual(expect.arrayContaining(["expires_at", "last_used_at"]));
    expect(conn.prepare("SELECT DISTINCT v FROM checkpoints").pluck().all()).toEqual([1]);
    // v6: its records are in the query index, and queries find them there.
    expect(conn.prepare("SELECT count(*) FROM record_index").pluck().get()).toBe(10);
    expect(conn.prepare("SELECT seq FROM record_index_heads WHERE chain = 'main'").pluck().get()).toBe(10);
    expect(intents.length).toBe(
      conn.prepare("SELECT count(*) FROM records WHERE kind = 'call.intent'").pluck().get(),
    );
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

describe("the record shapes of the versioned fixtures", () => {
  /** Each record of a fixture as [kind, problem or null]; a problem means the schemas no longer read it. */
  function shapes(records: { v: number; kind: string; data: unknown }[]): [string, string | null][] {
    return records.map((r) => {
      const checked = checkRecordData(r.v, r.kind, r.data);
      return [r.kind, checked.ok ? null : `${checked.problem.path}: ${checked.problem.message}`];
    });
  }
  function jsonlRecords(name: string) {
    return readFileSync(join(FIXTURES, name), "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as { type: string; v: number; kind: string; data: unknown })
      .filter((o) => o.type === "record");
  }

  // A schema change that fails here changes the shape of records already written: that is a new record
  // format version (a new table in src/ledger/records/index.ts), never an edit of version 1.
  it("v1-kinds.jsonl holds one record of every kind as this version writes them, and each matches its schema", async () => {
    const records = jsonlRecords("v1-kinds.jsonl");
    expect(new Set(records.map((r) => r.kind))).toEqual(new Set(RECORD_KINDS));
    expect(shapes(records).filter(([, problem]) => problem !== null)).toEqual([]);
    expect(await verifyJsonl(join(FIXTURES, "v1-kinds.jsonl"))).toMatchObject({
      ok: true,
      records: records.length,
    });
  });

  it("the older fixtures' records match the version-1 schemas too", () => {
    const conn = new Database(join(FIXTURES, "sqlite-v3.db"), { readonly: true });
    const rows = conn.prepare("SELECT v, kind, data FROM records ORDER BY seq").all() as {
      v: number;
      kind: string;
      data: string;
    }[];
    conn.close();
    const sqlite = rows.map((r) => ({ ...r, data: JSON.parse(r.data) as unknown }));
    expect(sqlite).toHaveLength(10);
    expect(shapes([...sqlite, ...jsonlRecords("v1-export.jsonl")]).filter(([, p]) => p !== null)).toEqual([]);
  });
});
