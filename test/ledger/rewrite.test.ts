// Rewrites behind the checkpoints' back, as an attacker holding the database or an export would try them: each is caught and named.
import type { KeyObject } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { checkpointEvent } from "../../src/export/event.js";
import { JsonlSink } from "../../src/export/sinks/jsonl/index.js";
import { canonicalData, recordHash } from "../../src/ledger/hash.js";
import {
  exportJsonl,
  GENESIS_HASH,
  generateKeyPair,
  keyIdOf,
  Ledger,
  type LedgerRecord,
  type LedgerStore,
  PostgresStore,
  SqliteStore,
  type VerifyOptions,
  type VerifyResult,
  verifyDatabase,
  verifyJsonl,
  verifyPostgres,
} from "../../src/ledger/index.js";
import { cli } from "../cli/run-cli.js";
import { intent, tempDir } from "./helpers.js";
import { admin, freshSchema, pgAvailable } from "./pg.js";

const T0 = Date.parse("2026-03-01T08:00:00.000Z");
/** The rewrite is checked an hour after the records were written. */
const LATER = new Date(T0 + 3_600_000);

interface Backend {
  /** A ledger of chains "a" (16 records) and "b" (6 records), checkpoints every 5 records and at close. */
  build(): Promise<Fixture>;
}

interface Fixture {
  dir: string;
  /** `--db` for the CLI. */
  db: string;
  keys: { privateKey: KeyObject; publicKey: KeyObject; paths: { privateKey: string } };
  /** Runs SQL against the ledger's tables, as an attacker with database access. */
  sql(text: string, params?: (string | number)[]): Promise<{ rows: Record<string, unknown>[] }>;
  verify(options?: VerifyOptions): Promise<VerifyResult>;
  store(): Promise<LedgerStore>;
}

async function fill(open: (chain: string) => Promise<LedgerStore>, signingKey: KeyObject): Promise<void> {
  let t = T0;
  const clock = () => {
    t += 1000;
    return new Date(t);
  };
  const options = { signingKey, checkpointEvery: 5, checkpointSeconds: 10, clock };
  const a = await Ledger.open({ ...options, store: await open("a"), chain: "a" });
  const b = await Ledger.open({ ...options, store: await open("b"), chain: "b" });
  // Interleaved, so a's later checkpoints attest b's.
  for (let i = 0; i < 16; i++) {
    await a.append(intent(i));
    if (i < 6) await b.append(intent(100 + i));
  }
  await b.close();
  await a.close();
}

const sqlite: Backend = {
  async build() {
    const dir = tempDir();
    const keys = await generateKeyPair(dir);
    const db = join(dir, "ledger.db");
    await fill(() => SqliteStore.open(db), keys.privateKey);
    return {
      dir,
      db,
      keys,
      async sql(text, params = []) {
        const conn = new Database(db);
        try {
          const stmt = conn.prepare(text);
          if (stmt.reader) return { rows: stmt.all(...params) as Record<string, unknown>[] };
          stmt.run(...params);
          // Records removed leave the query index too, or verify would see them listed (index-mismatch).
          conn
            .prepare(`DELETE FROM record_index WHERE NOT EXISTS
              (SELECT 1 FROM records r WHERE r.chain = record_index.chain AND r.seq = record_index.seq)`)
            .run();
          return { rows: [] };
        } finally {
          conn.close();
        }
      },
      verify: (options = {}) => verifyDatabase(db, { publicKey: keys.publicKey, now: LATER, ...options }),
      store: () => SqliteStore.open(db, { readonly: true }),
    };
  },
};

const postgres: Backend = {
  async build() {
    const dir = tempDir();
    const keys = await generateKeyPair(dir);
    const { url, schema } = freshSchema();
    const stores: PostgresStore[] = [];
    await fill(async (chain) => {
      const store = await PostgresStore.open(url);
      stores.push(store);
      await store.registerKey(keyIdOf(keys.publicKey), spki(keys.publicKey));
      await store.claimChain(chain);
      return store;
    }, keys.privateKey);
    return {
      dir,
      db: url,
      keys,
      async sql(text, params = []) {
        let n = 0;
        const pgText = text.replace(/\?/g, () => `$${++n}`);
        return admin(async (c) => ({ rows: (await c.query(pgText, params)).rows }), schema);
      },
      verify: (options = {}) => verifyPostgres(url, { publicKey: keys.publicKey, now: LATER, ...options }),
      store: () => PostgresStore.open(url, { readonly: true }),
    };
  },
};

function spki(key: KeyObject): string {
  return key.export({ type: "spki", format: "der" }).toString("base64");
}

/** Changes record 10 of chain a (a denied send_email, say, into an allowed one), then recomputes every later hash. */
async function rewriteRecord10(f: Fixture): Promise<void> {
  const { rows } = await f.sql(
    "SELECT chain, seq, v, ts, kind, session, agent, call_id, data, hash FROM records WHERE chain = 'a' ORDER BY seq",
  );
  let prev = GENESIS_HASH;
  for (const row of rows) {
    const r: Omit<LedgerRecord, "hash"> = {
      v: 1,
      chain: String(row.chain),
      seq: Number(row.seq),
      ts: String(row.ts),
      kind: row.kind as LedgerRecord["kind"],
      session: row.session as string | null,
      agent: row.agent as string | null,
      callId: row.call_id as string | null,
      data: JSON.parse(String(row.data)),
    };
    if (r.seq === 10)
      r.data = { ...r.data, tool: "send_email", decision: { effect: "allow" }, rewritten: true };
    prev = recordHash(prev, r);
    await f.sql("UPDATE records SET data = ?, hash = ? WHERE chain = 'a' AND seq = ?", [
      canonicalData(r.data),
      prev,
      r.seq,
    ]);
  }
}

const backends: [string, Backend][] = [
  ["SQLite", sqlite],
  ...(pgAvailable ? [["PostgreSQL", postgres] as [string, Backend]] : []),
];

describe.each(backends)("rewrites of a %s ledger", (_name, backend) => {
  it("the intact ledger verifies, with a's last checkpoint attesting chain b", async () => {
    const f = await backend.build();
    const result = await f.verify();
    expect(result).toMatchObject({ ok: true, records: 22 });
    const cps = await (await f.store()).checkpoints("a");
    expect(cps.at(-1)).toMatchObject({ v: 2, chains: { a: 16, b: 6 }, cadence: { records: 5, seconds: 10 } });
  });

  it("record 10 changed, later hashes recomputed, every checkpoint deleted: an unsealed tail too old", async () => {
    const f = await backend.build();
    await rewriteRecord10(f);
    await f.sql("DELETE FROM checkpoints");
    expect(await f.verify()).toMatchObject({ ok: false, problem: "unsealed-tail", chain: "a", seq: 1 });
  });

  it("record 10 changed and the checkpoints after 5 deleted: a tail longer than the signed cadence", async () => {
    const f = await backend.build();
    await rewriteRecord10(f);
    await f.sql("DELETE FROM checkpoints WHERE chain = 'a' AND seq > 5");
    // Read at once (as if written just now): the count alone gives it away.
    const result = await f.verify({ now: new Date(T0) });
    expect(result).toMatchObject({ ok: false, problem: "unsealed-tail", chain: "a", seq: 6 });
  });

  it("the tail cut with its checkpoints: caught against checkpoints witnessed in an export", async () => {
    const f = await backend.build();
    const witness = join(f.dir, "witness.jsonl");
    const store = await f.store();
    await exportJsonl(store, witness, { signingKey: f.keys.privateKey });
    await store.close();
    // Back to the checkpoint b last attested: alone, that looks like a ledger that went idle there.
    await f.sql("DELETE FROM records WHERE chain = 'a' AND seq > 15");
    await f.sql("DELETE FROM checkpoints WHERE chain = 'a' AND seq > 15");
    expect(await f.verify()).toMatchObject({ ok: true });
    expect(await f.verify({ against: [witness] })).toMatchObject({
      ok: false,
      problem: "witness-mismatch",
      chain: "a",
      seq: 16,
    });
  });

  it("the tail cut: caught against a JSONL export sink's copy of the checkpoints", async () => {
    const f = await backend.build();
    const copy = join(f.dir, "siem.jsonl");
    const sink = new JsonlSink({ name: "siem", path: copy });
    const store = await f.store();
    await sink.send(
      [...(await store.checkpoints("a")), ...(await store.checkpoints("b"))].map(checkpointEvent),
    );
    await sink.close();
    await store.close();
    await f.sql("DELETE FROM records WHERE chain = 'a' AND seq > 15");
    await f.sql("DELETE FROM checkpoints WHERE chain = 'a' AND seq > 15");
    const cut = await cli(
      ["verify", "--db", f.db, "--key", join(f.dir, "ledger.pub"), "--against", copy],
      f.dir,
    );
    expect(cut.code).toBe(1);
    expect(cut.stdout).toContain("chain a, record 16: witness-mismatch");
  });

  it("a rewritten record under a witnessed checkpoint is named", async () => {
    const f = await backend.build();
    const witness = join(f.dir, "witness.jsonl");
    const store = await f.store();
    await exportJsonl(store, witness, { signingKey: f.keys.privateKey });
    await store.close();
    await rewriteRecord10(f);
    await f.sql("DELETE FROM checkpoints WHERE chain = 'a' AND seq >= 10");
    expect(await f.verify({ against: [witness], now: new Date(T0) })).toMatchObject({
      ok: false,
      problem: "witness-mismatch",
      chain: "a",
      seq: 10,
    });
  });

  it("a chain cut back further than another chain's checkpoint attests", async () => {
    const f = await backend.build();
    await f.sql("DELETE FROM records WHERE chain = 'a' AND seq > 10");
    await f.sql("DELETE FROM checkpoints WHERE chain = 'a' AND seq > 10");
    expect(await f.verify()).toMatchObject({ ok: false, problem: "chain-missing", chain: "a", seq: 11 });
  });

  it("a whole chain deleted: a's signed checkpoint names it", async () => {
    const f = await backend.build();
    await f.sql("DELETE FROM records WHERE chain = 'b'");
    await f.sql("DELETE FROM checkpoints WHERE chain = 'b'");
    expect(await f.verify()).toMatchObject({ ok: false, problem: "chain-missing", chain: "b" });
  });

  it("every chain deleted: an empty ledger is a finding", async () => {
    const f = await backend.build();
    await f.sql("DELETE FROM records");
    await f.sql("DELETE FROM checkpoints");
    expect(await f.verify()).toMatchObject({ ok: false, problem: "empty" });
  });
});

describe("rewrites of a JSONL export", () => {
  async function exported() {
    const f = await sqlite.build();
    const path = join(f.dir, "ledger.jsonl");
    const store = await f.store();
    await exportJsonl(store, path, { signingKey: f.keys.privateKey, clock: () => new Date(T0 + 30_000) });
    await store.close();
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    const write = (ls: string[]) => {
      const out = join(f.dir, "mut.jsonl");
      writeFileSync(out, `${ls.join("\n")}\n`);
      return out;
    };
    return { f, path, lines, write };
  }

  it("verifies intact, its tail age measured at the signed end", async () => {
    const { f, path, lines } = await exported();
    expect(await verifyJsonl(path, { publicKey: f.keys.publicKey })).toMatchObject({ ok: true, records: 22 });
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({
      type: "end",
      chains: { a: { seq: 16 }, b: { seq: 6 } },
      keyId: keyIdOf(f.keys.publicKey),
    });
  });

  it("record 10 rewritten, checkpoint lines removed, the end line rewritten: its signature fails", async () => {
    const { f, lines, write } = await exported();
    const records = lines.filter((l) => JSON.parse(l).type === "record").length;
    const kept = lines.filter((l) => JSON.parse(l).type !== "checkpoint");
    const end = { ...JSON.parse(kept.at(-1)!), records, checkpoints: 0 };
    kept[kept.length - 1] = JSON.stringify(end);
    expect(await verifyJsonl(write(kept), { publicKey: f.keys.publicKey })).toMatchObject({
      ok: false,
      problem: "end-signature",
    });
    // Passed off as a format-1 export (unsigned end line): the checkpoints must go, and the bare tail is too old.
    const v1 = [
      JSON.stringify({ ...JSON.parse(kept[0]!), version: 1 }),
      ...kept.slice(1, -1),
      JSON.stringify({ type: "end", records, checkpoints: 0 }),
    ];
    expect(await verifyJsonl(write(v1), { publicKey: f.keys.publicKey, now: LATER })).toMatchObject({
      ok: false,
      problem: "unsealed-tail",
      chain: "a",
      seq: 1,
    });
  });

  it("the tail cut with its checkpoints and the end line rewritten: its signature fails", async () => {
    const { f, lines, write } = await exported();
    const cut = lines.filter((l) => {
      const o = JSON.parse(l);
      return !(o.chain === "a" && o.seq > 10);
    });
    const end = JSON.parse(cut.at(-1)!);
    end.chains.a = { seq: 10, hash: JSON.parse(cut.findLast((l) => JSON.parse(l).seq === 10)!).hash };
    end.records -= 6;
    end.checkpoints -= 2;
    cut[cut.length - 1] = JSON.stringify(end);
    expect(await verifyJsonl(write(cut), { publicKey: f.keys.publicKey })).toMatchObject({
      ok: false,
      problem: "end-signature",
    });
    // The same cut keeping the old end line: the signed heads differ from the file's.
    cut[cut.length - 1] = lines.at(-1)!;
    expect(await verifyJsonl(write(cut), { publicKey: f.keys.publicKey })).toMatchObject({
      ok: false,
      problem: "truncated",
    });
  });

  it("a whole chain removed: the signed end line names it; a format-1 copy is caught by a's checkpoint", async () => {
    const { f, lines, write } = await exported();
    const noB = lines.filter((l) => JSON.parse(l).chain !== "b");
    expect(await verifyJsonl(write(noB), { publicKey: f.keys.publicKey })).toMatchObject({
      ok: false,
      problem: "chain-missing",
    });
  });
});

describe("archives", () => {
  it("a later export proves it continues an earlier one; one rebuilt after a cut does not, even signed with the key", async () => {
    const dir = tempDir();
    const keys = await generateKeyPair(dir);
    const db = join(dir, "ledger.db");
    const open = async () =>
      Ledger.open({ store: await SqliteStore.open(db), signingKey: keys.privateKey, checkpointEvery: 5 });
    const first = await open();
    for (let i = 0; i < 12; i++) await first.append(intent(i));
    await first.close();
    const earlier = join(dir, "archive-1.jsonl");
    await exportJsonl(db, earlier, { signingKey: keys.privateKey });
    const again = await open();
    for (let i = 12; i < 20; i++) await again.append(intent(i));
    await again.close();
    const later = join(dir, "archive-2.jsonl");
    await exportJsonl(db, later, { signingKey: keys.privateKey });
    expect(await verifyJsonl(later, { publicKey: keys.publicKey, against: [earlier] })).toMatchObject({
      ok: true,
      records: 20,
    });
    // Someone with the database and the key cuts back to seq 10 and writes a different history.
    const conn = new Database(db);
    conn.prepare("DELETE FROM records WHERE seq > 10").run();
    conn.prepare("DELETE FROM checkpoints WHERE seq > 10").run();
    conn.close();
    const forger = await open();
    for (let i = 0; i < 10; i++) await forger.append(intent(900 + i));
    await forger.close();
    const rebuilt = join(dir, "archive-2-rebuilt.jsonl");
    await exportJsonl(db, rebuilt, { signingKey: keys.privateKey });
    expect(await verifyJsonl(rebuilt, { publicKey: keys.publicKey })).toMatchObject({ ok: true });
    expect(await verifyJsonl(rebuilt, { publicKey: keys.publicKey, against: [earlier] })).toMatchObject({
      ok: false,
      problem: "witness-mismatch",
      chain: "main",
      seq: 12, // the earlier archive's last checkpoint, over another record 12
    });
  });
});
