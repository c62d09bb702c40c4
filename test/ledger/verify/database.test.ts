// verifyDatabase on a real SQLite file: intact passes with counts; each kind of tampering is caught and named.
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { beforeEach, describe, expect, it } from "vitest";
import { canonicalJson } from "../../../src/digest.js";
import { checkpointMessage, recordHash } from "../../../src/ledger/hash.js";
import { type LedgerRecord, verifyDatabase } from "../../../src/ledger/index.js";
import { appendSerially, sqliteLedger, tempDir } from "../helpers.js";

let db: string;
let dir: string;
let publicKey: KeyObject;

/** 12 records, one per batch, checkpoints at 5 and 10, and the final one at 12 from close(). */
beforeEach(async () => {
  dir = tempDir();
  const made = await sqliteLedger(dir, { checkpointEvery: 5 });
  await appendSerially(made.ledger, 12);
  await made.ledger.close();
  db = made.db;
  publicKey = made.publicKey;
});

function tamper(fn: (sql: Database.Database) => void): void {
  const sql = new Database(db);
  try {
    fn(sql);
  } finally {
    sql.close();
  }
}

function rowAt(sql: Database.Database, seq: number): LedgerRecord {
  type Row = Omit<LedgerRecord, "callId" | "data"> & { call_id: string | null; data: string };
  const r = sql.prepare("SELECT * FROM records WHERE chain = 'main' AND seq = ?").get(seq) as Row;
  return {
    v: 1,
    chain: r.chain,
    seq: r.seq,
    ts: r.ts,
    kind: r.kind,
    session: r.session,
    agent: r.agent,
    callId: r.call_id,
    data: JSON.parse(r.data),
    hash: r.hash,
  };
}

describe("verifyDatabase", () => {
  it("passes an intact ledger with its counts, using the key beside it", async () => {
    expect(await verifyDatabase(db)).toEqual({
      ok: true,
      chains: [
        {
          chain: "main",
          records: 12,
          checkpoints: 3,
          lastCheckpointSeq: 12,
          unsealed: 0,
          unsealedSince: null,
        },
      ],
      records: 12,
      checkpoints: 3,
      keySource: "beside-ledger",
    });
  });

  it("reports keySource given for a key passed in, as a KeyObject or a PEM path", async () => {
    expect(await verifyDatabase(db, { publicKey })).toMatchObject({ ok: true, keySource: "given" });
    expect(await verifyDatabase(db, { publicKey: join(dir, "ledger.pub") })).toMatchObject({
      ok: true,
      keySource: "given",
    });
  });

  it("fails with a wrong public key", async () => {
    const other = generateKeyPairSync("ed25519").publicKey;
    expect(await verifyDatabase(db, { publicKey: other })).toMatchObject({
      ok: false,
      problem: "checkpoint-unknown-key",
      seq: 5,
      keySource: "given",
    });
  });

  it("catches an edited record", async () => {
    tamper((sql) =>
      sql.prepare("UPDATE records SET data = json_set(data, '$.tool', 'rm_rf') WHERE seq = 7").run(),
    );
    expect(await verifyDatabase(db)).toMatchObject({
      ok: false,
      chain: "main",
      seq: 7,
      problem: "hash-mismatch",
    });
  });

  it("catches an edited column outside data (agent)", async () => {
    tamper((sql) => sql.prepare("UPDATE records SET agent = 'someone-else' WHERE seq = 2").run());
    expect(await verifyDatabase(db)).toMatchObject({ ok: false, seq: 2, problem: "hash-mismatch" });
  });

  it("catches a deleted record", async () => {
    tamper((sql) => sql.prepare("DELETE FROM records WHERE seq = 6").run());
    expect(await verifyDatabase(db)).toMatchObject({ ok: false, seq: 6, problem: "seq-gap" });
  });

  it("catches two rows with swapped contents", async () => {
    tamper((sql) => {
      sql.prepare("UPDATE records SET seq = -4 WHERE seq = 4").run();
      sql.prepare("UPDATE records SET seq = 4 WHERE seq = 8").run();
      sql.prepare("UPDATE records SET seq = 8 WHERE seq = -4").run();
    });
    expect(await verifyDatabase(db)).toMatchObject({ ok: false, seq: 4, problem: "hash-mismatch" });
  });

  it("catches a log cut before its last checkpoint", async () => {
    tamper((sql) => sql.prepare("DELETE FROM records WHERE seq > 10").run());
    expect(await verifyDatabase(db)).toMatchObject({ ok: false, seq: 11, problem: "truncated" });
  });

  it("catches a forged checkpoint signature", async () => {
    const forger = generateKeyPairSync("ed25519").privateKey;
    tamper((sql) => {
      const cp = sql.prepare("SELECT * FROM checkpoints WHERE seq = 10").get() as {
        chain: string;
        hash: string;
        ts: string;
      };
      const sig = sign(
        null,
        checkpointMessage({ chain: cp.chain, seq: 10, hash: cp.hash, ts: cp.ts }),
        forger,
      );
      sql.prepare("UPDATE checkpoints SET signature = ? WHERE seq = 10").run(sig.toString("base64"));
    });
    expect(await verifyDatabase(db)).toMatchObject({ ok: false, seq: 10, problem: "checkpoint-signature" });
  });

  it("catches a checkpoint whose hash was changed", async () => {
    tamper((sql) => sql.prepare("UPDATE checkpoints SET hash = ? WHERE seq = 5").run("ab".repeat(32)));
    expect(await verifyDatabase(db)).toMatchObject({ ok: false, seq: 5, problem: "checkpoint-signature" });
  });

  it("catches a checkpoint signed by an unknown key", async () => {
    const other = generateKeyPairSync("ed25519");
    const otherId = `sha256:${"1".repeat(64)}`;
    tamper((sql) => {
      const cp = sql.prepare("SELECT * FROM checkpoints WHERE seq = 12").get() as {
        chain: string;
        hash: string;
        ts: string;
      };
      const sig = sign(
        null,
        checkpointMessage({ chain: cp.chain, seq: 12, hash: cp.hash, ts: cp.ts }),
        other.privateKey,
      );
      sql
        .prepare("UPDATE checkpoints SET signature = ?, key_id = ? WHERE seq = 12")
        .run(sig.toString("base64"), otherId);
    });
    expect(await verifyDatabase(db)).toMatchObject({ ok: false, seq: 12, problem: "checkpoint-unknown-key" });
  });

  it("catches a rewritten chain (every hash recomputed after an edit) at the first signed checkpoint", async () => {
    tamper((sql) => {
      let prev = rowAt(sql, 2).hash;
      for (let seq = 3; seq <= 12; seq++) {
        const r = rowAt(sql, seq);
        if (seq === 3) r.data = { ...r.data, tool: "rm_rf" };
        const hash = recordHash(prev, r);
        sql
          .prepare("UPDATE records SET data = ?, hash = ? WHERE seq = ?")
          .run(canonicalJson(r.data), hash, seq);
        prev = hash;
      }
    });
    expect(await verifyDatabase(db)).toMatchObject({ ok: false, seq: 5, problem: "checkpoint-hash" });
  });

  it("catches a record inserted in the middle, even with a correctly computed hash", async () => {
    tamper((sql) => {
      const prev = rowAt(sql, 6);
      for (let seq = 12; seq >= 7; seq--)
        sql.prepare("UPDATE records SET seq = seq + 1 WHERE seq = ?").run(seq);
      const forged = { ...prev, seq: 7, data: { ...prev.data, tool: "wire_money" } };
      const hash = recordHash(prev.hash, forged);
      sql
        .prepare(
          "INSERT INTO records (chain, seq, v, ts, kind, session, agent, call_id, data, hash) VALUES ('main', 7, 1, ?, ?, ?, ?, ?, ?, ?)",
        )
        .run(
          forged.ts,
          forged.kind,
          forged.session,
          forged.agent,
          forged.callId,
          canonicalJson(forged.data),
          hash,
        );
    });
    // The forged record chains correctly; the old record 7, now at 8, no longer does (its seq is hashed).
    expect(await verifyDatabase(db)).toMatchObject({ ok: false, seq: 8, problem: "hash-mismatch" });
  });

  it("cannot see a cut that also removes the later checkpoints, but reports where signing ends", async () => {
    tamper((sql) => {
      sql.prepare("DELETE FROM records WHERE seq > 5").run();
      sql.prepare("DELETE FROM checkpoints WHERE seq > 5").run();
      // The query index still listing the records removed would show the cut.
      sql.prepare("DELETE FROM record_index WHERE seq > 5").run();
    });
    // What remains is self-consistent; the limit of the proof is lastCheckpointSeq (an auditor compares it with
    // a checkpoint seen earlier).
    expect(await verifyDatabase(db)).toMatchObject({
      ok: true,
      records: 5,
      chains: [{ lastCheckpointSeq: 5 }],
    });
  });

  it("needs a key when there are checkpoints, and says so", async () => {
    rmSync(join(dir, "ledger.pub"));
    expect(await verifyDatabase(db)).toMatchObject({ ok: false, problem: "key-missing", keySource: "none" });
    tamper((sql) => sql.prepare("DELETE FROM checkpoints").run());
    expect(await verifyDatabase(db)).toMatchObject({
      ok: true,
      records: 12,
      checkpoints: 0,
      keySource: "none",
    });
  });

  it("catches a query index that hides a record from listings or files it under other values", async () => {
    // The index is filled after the commit; close() brought it up to date with every record.
    const edits = [
      "UPDATE record_index SET effect = 'allow' WHERE seq = 5", // a denial listed as allowed
      "UPDATE record_index SET tool = 'wire_money' WHERE seq = 6",
      "UPDATE record_index SET kind = 'session.start' WHERE seq = 8",
      "UPDATE record_index SET ts = '2001-01-01T00:00:00.000Z' WHERE seq = 9",
      "DELETE FROM record_index WHERE seq = 11", // gone from every listing
    ];
    for (const edit of edits) {
      const saved = new Database(db).prepare("SELECT * FROM record_index").all();
      tamper((sql) => sql.prepare(edit).run());
      const seq = Number(/seq = (\d+)/.exec(edit)![1]);
      expect(await verifyDatabase(db), edit).toMatchObject({
        ok: false,
        chain: "main",
        seq,
        problem: "index-mismatch",
      });
      tamper((sql) => {
        sql.prepare("DELETE FROM record_index").run();
        const put = sql.prepare(
          "INSERT INTO record_index VALUES (@chain, @seq, @ts, @kind, @session, @agent, @call_id, @tool, @effect)",
        );
        for (const row of saved) put.run(row);
      });
      expect(await verifyDatabase(db)).toMatchObject({ ok: true });
    }
    tamper((sql) => sql.prepare("UPDATE record_index SET seq = 99 WHERE seq = 12").run());
    expect(await verifyDatabase(db)).toMatchObject({ ok: false, seq: 99, problem: "index-mismatch" });
  });

  it("refuses records or checkpoints that are not plain tables, before reading a row", async () => {
    // A view is computed when read: a recursive one would never end, so none is read at all.
    tamper((sql) =>
      sql.exec(`ALTER TABLE records RENAME TO records_kept;
        CREATE VIEW records AS SELECT * FROM records_kept;`),
    );
    expect(await verifyDatabase(db)).toMatchObject({
      ok: false,
      problem: "unreadable",
      message: expect.stringContaining("records is a view"),
    });
    tamper((sql) =>
      sql.exec(`DROP VIEW records; ALTER TABLE records_kept RENAME TO records;
        ALTER TABLE checkpoints RENAME TO checkpoints_kept;
        CREATE VIEW checkpoints AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)
          SELECT 'main' AS chain, i AS seq, '' AS hash, '' AS ts, '' AS signature, '' AS key_id,
            1 AS v, NULL AS chains, NULL AS cadence FROM n;`),
    );
    expect(await verifyDatabase(db)).toMatchObject({
      ok: false,
      problem: "unreadable",
      message: expect.stringContaining("checkpoints is a view"),
    });
  });

  it("refuses a records table without its primary key, which could hold two rows at one seq", async () => {
    tamper((sql) =>
      sql.exec(`CREATE TABLE loose AS SELECT * FROM records; DROP TABLE records;
        ALTER TABLE loose RENAME TO records;`),
    );
    expect(await verifyDatabase(db)).toMatchObject({
      ok: false,
      problem: "unreadable",
      message: expect.stringContaining("no primary key (chain, seq)"),
    });
  });

  it("reports an unreadable or foreign file instead of throwing", async () => {
    expect(await verifyDatabase(join(dir, "missing.db"))).toMatchObject({
      ok: false,
      problem: "unreadable",
      chain: null,
    });
    writeFileSync(join(dir, "junk.db"), "this is not sqlite");
    expect(await verifyDatabase(join(dir, "junk.db"))).toMatchObject({ ok: false, problem: "unreadable" });
    writeFileSync(join(dir, "bad.pub"), "garbage");
    expect(await verifyDatabase(db, { publicKey: join(dir, "bad.pub") })).toMatchObject({
      ok: false,
      problem: "key-invalid",
    });
  });
});
