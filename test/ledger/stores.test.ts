// One behaviour suite run against every store: the in-memory twin and PostgreSQL must behave as SQLite does.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  GENESIS_HASH,
  Ledger,
  type LedgerRecord,
  type LedgerStore,
  MemoryStore,
  type Sealer,
  SqliteStore,
} from "../../src/ledger/index.js";
import { ephemeralKey, intent, tempDir } from "./helpers.js";
import { pgAvailable, pgStore } from "./pg.js";

const stores: [string, () => Promise<LedgerStore>][] = [
  ["memory", async () => new MemoryStore()],
  ["sqlite", async () => SqliteStore.open(join(tempDir(), "nested", "ledger.db"))],
  ...(pgAvailable ? [["postgres", () => pgStore()] as [string, () => Promise<LedgerStore>]] : []),
];

async function filled(store: LedgerStore): Promise<{ ledger: Ledger; records: LedgerRecord[] }> {
  const ledger = await Ledger.open({
    store,
    signingKey: ephemeralKey(),
    checkpointEvery: 5,
    checkpointSeconds: 0,
  });
  const records: LedgerRecord[] = [];
  for (let i = 0; i < 12; i++) records.push(await ledger.append(intent(i)));
  return { ledger, records };
}

describe.each(stores)("%s store", (name, open) => {
  it("starts empty and chains from the genesis hash with contiguous seqs", async () => {
    const store = await open();
    expect(await store.head("main")).toBeNull();
    const { ledger, records } = await filled(store);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const head = await store.head("main");
    expect(head).toMatchObject({ seq: 12, hash: records[11]!.hash, ts: records[11]!.ts });
    expect(await store.chains()).toEqual(["main"]);
    await ledger.close();
  });

  it("returns records exactly as sealed, data included", async () => {
    const store = await open();
    const { records } = await filled(store);
    const back = await store.readChain("main", 1, 100);
    expect(back).toEqual(records);
    expect(await store.readChain("main", 11, 100)).toEqual(records.slice(10));
    expect(await store.readChain("main", 3, 2)).toEqual(records.slice(2, 4));
    expect(await store.readChain("other", 1, 10)).toEqual([]);
    await store.close();
  });

  it("keeps checkpoints in seq order and reports the latest in the head", async () => {
    const store = await open();
    const { ledger } = await filled(store);
    const cps = await store.checkpoints("main");
    // One record per batch, every 5 records: checkpoints at 5 and 10.
    expect(cps.map((c) => c.seq)).toEqual([5, 10]);
    expect(cps[0]).toMatchObject({ chain: "main", keyId: ledger.keyId });
    expect((await store.head("main"))?.checkpointSeq).toBe(10);
    await store.close();
  });

  it("filters queries by session, agent, callId, tool, decision, kinds and since", async () => {
    const store = await open();
    const { records } = await filled(store);
    const seqs = (rs: LedgerRecord[]) => rs.map((r) => r.seq);
    const expectSeqs = (pred: (r: LedgerRecord) => boolean) => seqs(records.filter(pred));
    expect(seqs(await store.query({ session: "s-1" }))).toEqual(expectSeqs((r) => r.session === "s-1"));
    expect(seqs(await store.query({ agent: "support-bot" }))).toEqual(
      expectSeqs((r) => r.agent === "support-bot"),
    );
    expect(seqs(await store.query({ callId: "c-7" }))).toEqual([8]);
    expect(seqs(await store.query({ tool: "send_email" }))).toEqual(
      expectSeqs((r) => r.data.tool === "send_email"),
    );
    expect(seqs(await store.query({ decision: "deny" }))).toEqual([1, 5, 9]);
    expect(await store.query({ kinds: ["session.start"] })).toEqual([]);
    expect(await store.query({ kinds: [] })).toEqual([]);
    expect(seqs(await store.query({ kinds: ["call.intent"], limit: 2 }))).toEqual([1, 2]);
    expect(seqs(await store.query({ newestFirst: true, limit: 3 }))).toEqual([12, 11, 10]);
    expect(seqs(await store.query({ since: records[11]!.ts }))).toContain(12);
    expect(await store.query({ since: "2999-01-01T00:00:00Z" })).toEqual([]);
    await expect(store.query({ since: "yesterday-ish" })).rejects.toMatchObject({ code: "INVALID_REQUEST" });
    await store.close();
  });

  it("filters by until and by the session's user, and pages after a position in either order", async () => {
    const store = await open();
    const { ledger, records } = await filled(store);
    const seqs = (rs: LedgerRecord[]) => rs.map((r) => r.seq);
    const cut = records[6]!.ts;
    expect(seqs(await store.query({ until: cut }))).toEqual(seqs(records.filter((r) => r.ts < cut)));
    await expect(store.query({ until: "not a time" })).rejects.toMatchObject({ code: "INVALID_REQUEST" });

    const start = (session: string, onBehalfOf: string) =>
      ledger.append({
        kind: "session.start",
        session,
        agent: "support-bot",
        callId: null,
        data: { onBehalfOf, intent: "x", parent: null },
      });
    await start("s-1", "alice@example.com");
    await start("s-2", "bob@example.com");
    const alice = await store.query({ user: "alice@example.com", kinds: ["call.intent"] });
    expect(seqs(alice)).toEqual(seqs(records.filter((r) => r.session === "s-1")));
    expect(await store.query({ user: "nobody@example.com" })).toEqual([]);

    // Pages of 5, newest first and oldest first: together every record once, in order.
    for (const newestFirst of [true, false]) {
      const pages: number[] = [];
      let after: LedgerRecord | undefined;
      for (;;) {
        const page = await store.query({ kinds: ["call.intent"], newestFirst, after, limit: 5 });
        pages.push(...seqs(page));
        if (page.length < 5) break;
        after = page.at(-1);
      }
      const all = seqs(records);
      expect(pages).toEqual(newestFirst ? all.reverse() : all);
    }
    await ledger.close();
  });

  it("maintains the sessions table from session.start and session.end records", async () => {
    const store = await open();
    const ledger = await Ledger.open({ store, signingKey: ephemeralKey(), checkpointSeconds: 0 });
    const data = { onBehalfOf: "alice@example.com", intent: "ticket #123", parent: null };
    await ledger.append({ kind: "session.start", session: "s1", agent: "support-bot", callId: null, data });
    await ledger.append({
      kind: "session.start",
      session: "s2",
      agent: "billing-bot",
      callId: null,
      data: { ...data, parent: "s1" },
    });
    expect(await store.session("s1")).toMatchObject({
      id: "s1",
      agent: "support-bot",
      onBehalfOf: "alice@example.com",
      intent: "ticket #123",
      parent: null,
      endedAt: null,
    });
    expect(await store.session("s2")).toMatchObject({ parent: "s1" });
    const end = await ledger.append({
      kind: "session.end",
      session: "s1",
      agent: "support-bot",
      callId: null,
      data: { reason: "explicit" },
    });
    expect(await store.session("s1")).toMatchObject({ endedAt: end.ts, endReason: "explicit" });
    expect((await store.sessions({ active: true })).map((s) => s.id)).toEqual(["s2"]);
    expect((await store.sessions({ active: false })).map((s) => s.id)).toEqual(["s1"]);
    expect((await store.sessions({ agent: "support-bot" })).map((s) => s.id)).toEqual(["s1"]);
    expect(await store.sessions({ limit: 1 })).toHaveLength(1);
    expect(await store.session("nope")).toBeNull();
    await ledger.close();
  });

  it("stores tokens by hash and updates them by id", async () => {
    const store = await open();
    const row = {
      id: "t1",
      hash: "ab".repeat(32),
      role: "agent" as const,
      agent: "support-bot",
      name: null,
      createdAt: "2024-01-01T00:00:00.000Z",
      revokedAt: null,
      expiresAt: "2024-06-01T00:00:00.000Z",
      lastUsedAt: null,
    };
    await store.putToken(row);
    expect(await store.tokenByHash(row.hash)).toEqual(row);
    // Last use only moves forward (instances may report out of order).
    await store.touchToken("t1", "2024-01-02T00:00:00.000Z");
    await store.touchToken("t1", "2024-01-01T12:00:00.000Z");
    expect(await store.tokens()).toEqual([{ ...row, lastUsedAt: "2024-01-02T00:00:00.000Z" }]);
    expect(await store.revokeToken("t1", "2024-02-01T00:00:00.000Z")).toBe(true);
    expect(await store.revokeToken("t1", "2024-03-01T00:00:00.000Z")).toBe(false);
    expect(await store.revokeToken("nope", "2024-03-01T00:00:00.000Z")).toBe(false);
    expect(await store.tokenByHash(row.hash)).toMatchObject({ revokedAt: "2024-02-01T00:00:00.000Z" });
    await store.putToken({ ...row, name: "alice@example.com", lastUsedAt: null });
    expect(await store.tokenByHash(row.hash)).toMatchObject({ name: "alice@example.com", revokedAt: null });
    expect(await store.tokenByHash("cd".repeat(32))).toBeNull();
    await expect(store.putToken({ ...row, id: "t2" })).rejects.toMatchObject({ code: "LEDGER_UNAVAILABLE" });
    await store.close();
  });

  it("keeps export cursors per sink and chain, and never moves one back", async () => {
    const store = await open();
    expect(await store.getCursor("siem", "main")).toBe(0);
    await store.putCursor("siem", "main", 7);
    await store.putCursor("siem", "main", 3);
    await store.putCursor("siem", "node-2", 2);
    expect(await store.getCursor("siem", "main")).toBe(7);
    expect(await store.getCursor("siem", "node-2")).toBe(2);
    expect(await store.getCursor("other", "main")).toBe(0);
    await store.putCursor("siem", "main", 9);
    expect(await store.getCursor("siem", "main")).toBe(9);
    await store.close();
  });

  it("lists every chain with records or checkpoints, and offers its capabilities as members", async () => {
    const { ledger } = await filled(await open());
    const store = ledger.store;
    expect(await store.chains()).toEqual(["main"]);
    // What other code may rely on without knowing the store's class.
    if (name === "sqlite") expect(store.file).toMatch(/ledger\.db$/);
    if (name === "postgres") expect(await store.publicKeys?.()).toEqual([]);
    if (name === "memory") expect([store.file, store.publicKeys]).toEqual([undefined, undefined]);
    await ledger.close();
  });

  it("refuses a batch that does not continue the head, and keeps nothing of it", async () => {
    const store = await open();
    const { records } = await filled(store);
    const head = await store.head("main");
    const forked: Sealer = () => ({ records: [{ ...records[0]!, seq: 5 }], checkpoint: null });
    await expect(store.append("main", forked)).rejects.toMatchObject({ code: "LEDGER_UNAVAILABLE" });
    const throwing: Sealer = () => {
      throw new Error("boom");
    };
    await expect(store.append("main", throwing)).rejects.toMatchObject({ code: "LEDGER_UNAVAILABLE" });
    expect(await store.head("main")).toEqual(head);
    await store.close();
  });

  it("hands the sealer the head read in the write transaction", async () => {
    const store = await open();
    const seen: unknown[] = [];
    const empty: Sealer = (head) => {
      seen.push(head);
      return { records: [], checkpoint: null };
    };
    expect(await store.append("main", empty)).toEqual([]);
    await filled(store);
    await store.append("main", empty);
    expect(seen[0]).toBeNull();
    expect(seen[1]).toMatchObject({ seq: 12, checkpointSeq: 10 });
    expect(GENESIS_HASH).toMatch(/^0{64}$/);
    await store.close();
  });
});
