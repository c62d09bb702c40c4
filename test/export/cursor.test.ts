// Export cursors in every store: start at 0, move forward only, kept per sink and chain, survive a v1 file.
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { type LedgerStore, MemoryStore, SqliteStore } from "../../src/ledger/index.js";
import { SCHEMA_VERSION } from "../../src/ledger/stores/sqlite-schema.js";
import { tempDir } from "../helpers.js";
import { pgAvailable, pgStore } from "../ledger/pg.js";

const stores: [string, () => Promise<LedgerStore>][] = [
  ["memory", async () => new MemoryStore()],
  ["sqlite", async () => SqliteStore.open(join(tempDir(), "ledger.db"))],
  ...(pgAvailable ? [["postgres", () => pgStore()] as [string, () => Promise<LedgerStore>]] : []),
];

describe.each(stores)("%s store export cursors", (_name, open) => {
  it("starts at 0, moves forward only, and is kept per sink and chain", async () => {
    const store = await open();
    expect(await store.getCursor("siem", "main")).toBe(0);
    await store.putCursor("siem", "main", 5);
    await store.putCursor("siem", "main", 3);
    await store.putCursor("siem", "node-2", 7);
    expect(await store.getCursor("siem", "main")).toBe(5);
    expect(await store.getCursor("siem", "node-2")).toBe(7);
    expect(await store.getCursor("file", "main")).toBe(0);
    await store.close();
  });
});

describe("sqlite schema v2", () => {
  it("upgrades a v1 ledger file in place: records kept, cursors usable", async () => {
    const path = join(tempDir(), "ledger.db");
    (await SqliteStore.open(path)).close();
    // Turn the file back into what Warden v1 wrote: no cursor table, user_version 1.
    const db = new Database(path);
    db.exec("DROP TABLE export_cursors");
    db.pragma("user_version = 1");
    db.close();
    const store = await SqliteStore.open(path);
    await store.putCursor("siem", "main", 2);
    expect(await store.getCursor("siem", "main")).toBe(2);
    await store.close();
    const check = new Database(path, { readonly: true });
    expect(check.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    check.close();
  });
});
