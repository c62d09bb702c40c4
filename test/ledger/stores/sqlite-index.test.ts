// The SQLite ledger's query index, kept off the durable commit: queries see every committed record
// whether it is indexed yet or not, and indexing never leaves the connection below synchronous=FULL.
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { RecordQuery } from "../../../src/ledger/index.js";
import { Ledger, SqliteStore } from "../../../src/ledger/index.js";
import { recordFilter } from "../../../src/ledger/stores/sql.js";
import { INDEXED, RecordIndex } from "../../../src/ledger/stores/sqlite-index.js";
import { ephemeralKey, intent, tempDir } from "../helpers.js";

const indexed = (db: string): number => {
  const conn = new Database(db, { readonly: true });
  try {
    return Number(conn.prepare("SELECT count(*) FROM record_index").pluck().get());
  } finally {
    conn.close();
  }
};

async function ledgerAt(db: string): Promise<Ledger> {
  return Ledger.open({ store: await SqliteStore.open(db), signingKey: ephemeralKey(), checkpointSeconds: 0 });
}

describe("the SQLite query index", () => {
  it("answers queries over indexed records and the unindexed tail alike, in one order", async () => {
    const db = join(tempDir(), "ledger.db");
    const first = await ledgerAt(db);
    for (let i = 0; i < 6; i++) await first.append(intent(i));
    // Appended and durable, not indexed yet: the commit wrote only the chain table.
    expect(indexed(db)).toBe(0);
    expect((await first.store.query({ session: "s-0" })).map((r) => r.callId)).toEqual(["c-0", "c-3"]);
    await first.close(); // indexes what is left
    expect(indexed(db)).toBe(6);

    const second = await ledgerAt(db);
    for (let i = 6; i < 12; i++) await second.append(intent(i));
    const store = second.store;
    // Half of each answer comes from the index, half from the tail.
    expect((await store.query({ session: "s-0" })).map((r) => r.callId)).toEqual([
      "c-0",
      "c-3",
      "c-6",
      "c-9",
    ]);
    expect((await store.query({ tool: "send_email", decision: "deny" })).map((r) => r.callId)).toEqual([
      "c-0",
      "c-4",
      "c-8",
    ]);
    expect(
      (await store.query({ kinds: ["call.intent"], newestFirst: true, limit: 8 })).map((r) => r.callId),
    ).toEqual(["c-11", "c-10", "c-9", "c-8", "c-7", "c-6", "c-5", "c-4"]);
    expect((await store.query({ agent: "support-bot", callId: "c-7" })).map((r) => r.seq)).toEqual([8]);
    await second.close();
  });

  it("sees what another process appended before either indexed it", async () => {
    const db = join(tempDir(), "ledger.db");
    const reader = await ledgerAt(db);
    const writer = await ledgerAt(db);
    await writer.append(intent(1));
    const readOnly = await SqliteStore.open(db, { readonly: true });
    expect((await reader.store.query({ callId: "c-1" })).length).toBe(1);
    expect((await readOnly.query({ callId: "c-1" })).length).toBe(1);
    await readOnly.close();
    await writer.close();
    await reader.close();
  });

  it("indexes in its own transaction and leaves the connection at synchronous=FULL", async () => {
    const db = join(tempDir(), "ledger.db");
    const ledger = await ledgerAt(db);
    for (let i = 0; i < 3; i++) await ledger.append(intent(i));
    const conn = new Database(db);
    conn.pragma("synchronous = FULL");
    const index = new RecordIndex(conn);
    expect(index.catchUp()).toBe(3);
    expect(conn.pragma("synchronous", { simple: true })).toBe(2);
    expect(index.catchUp()).toBe(0);
    // Inside another transaction it does nothing: an append's commit never carries index writes.
    await ledger.append(intent(3));
    conn.prepare("BEGIN").run();
    expect(index.catchUp()).toBe(0);
    conn.prepare("ROLLBACK").run();
    expect(index.catchUp()).toBe(1);
    conn.close();
    await ledger.close();
  });

  it("finds records of a kind through the kind index, and a call's or a session's through theirs", async () => {
    const db = join(tempDir(), "ledger.db");
    await (await SqliteStore.open(db)).close();
    const conn = new Database(db, { readonly: true });
    // The index each query searches, as SQLite plans the statement the index's query builds.
    const planned = (q: RecordQuery): string => {
      const { where, params } = recordFilter(INDEXED, q);
      const sql = `EXPLAIN QUERY PLAN SELECT chain, seq FROM record_index WHERE ${where.join(" AND ")}
        ORDER BY ts DESC, chain DESC, seq DESC LIMIT 100`;
      const plan = conn.prepare(sql).all(...params) as { detail: string }[];
      return plan.map((p) => p.detail).join("; ");
    };
    try {
      expect(planned({ kinds: ["canary.create"] })).toMatch(/INDEX record_index_kind \(kind=\?\)/);
      expect(planned({ kinds: ["alert"], since: "2026-01-01" })).toMatch(
        /record_index_kind \(kind=\? AND ts>\?\)/,
      );
      expect(planned({ kinds: ["call.intent"], callId: "c-1" })).toMatch(/INDEX record_index_call_id/);
      expect(planned({ kinds: ["secret.lease"], session: "s-1" })).toMatch(/INDEX record_index_session/);
    } finally {
      conn.close();
    }
  });
});
