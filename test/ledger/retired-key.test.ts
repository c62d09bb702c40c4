// A key a rotation retired vouches only for what existed before the rotation: not a new chain, not records appended after it.
import { createPublicKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import Database from "better-sqlite3";
import { describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";
import { canonicalJson } from "../../src/digest.js";
import type { JsonObject } from "../../src/json.js";
import { checkpointMessage, recordHash } from "../../src/ledger/hash.js";
import {
  exportJsonl,
  generateKeyPair,
  keyIdOf,
  Ledger,
  loadSigningKey,
  pruneSqlite,
  rotateSigningKey,
  SqliteStore,
  verifyDatabase,
  verifyJsonl,
  verifyStoreRange,
} from "../../src/ledger/index.js";
import { cli } from "../cli/run-cli.js";
import { appendSerially, tempDir } from "./helpers.js";

/** A writer on `chain` of the SQLite file, as another Warden process sharing it runs one. */
async function write(db: string, signingKey: KeyObject, chain: string, n: number, from = 0) {
  const ledger = await Ledger.open({
    store: await SqliteStore.open(db),
    signingKey,
    chain,
    checkpointEvery: 2,
    checkpointSeconds: 0,
  });
  await appendSerially(ledger, n, from);
  await ledger.close();
}

/**
 * What whoever holds `key` can do to the SQLite file: change the record at `chain`#`seq`, carry the hashes
 * on to the chain's end, and sign the checkpoints from there on again with `key`.
 */
function rewriteAndResign(db: string, key: KeyObject, chain: string, seq: number): void {
  const conn = new Database(db);
  const rows = conn.prepare("SELECT * FROM records WHERE chain = ? ORDER BY seq").all(chain) as {
    chain: string;
    seq: number;
    v: number;
    ts: string;
    kind: string;
    session: string | null;
    agent: string | null;
    call_id: string | null;
    data: string;
    hash: string;
  }[];
  let prev = rows[seq - 2]!.hash;
  for (const row of rows.slice(seq - 1)) {
    const data = JSON.parse(row.data) as Record<string, unknown>;
    if (row.seq === seq) data.tool = "wire_money";
    const record = {
      chain: row.chain,
      seq: row.seq,
      v: row.v as 1,
      ts: row.ts,
      kind: row.kind as "call.intent",
      session: row.session,
      agent: row.agent,
      callId: row.call_id,
      data: data as JsonObject,
    };
    prev = recordHash(prev, record);
    conn
      .prepare("UPDATE records SET data = ?, hash = ? WHERE chain = ? AND seq = ?")
      .run(canonicalJson(data), prev, chain, row.seq);
    const cp = conn.prepare("SELECT * FROM checkpoints WHERE chain = ? AND seq = ?").get(chain, row.seq) as
      | { ts: string; v: number; chains: string | null; cadence: string | null }
      | undefined;
    if (!cp) continue;
    const signed = {
      chain,
      seq: row.seq,
      hash: prev,
      ts: cp.ts,
      v: cp.v === 2 ? (2 as const) : undefined,
      chains: cp.chains === null ? undefined : JSON.parse(cp.chains),
      cadence: cp.cadence === null ? undefined : JSON.parse(cp.cadence),
    };
    const signature = sign(null, checkpointMessage(signed), key).toString("base64");
    conn
      .prepare("UPDATE checkpoints SET hash = ?, signature = ? WHERE chain = ? AND seq = ?")
      .run(prev, signature, chain, row.seq);
  }
  conn.close();
}

let tick = 0;
/** Distinct times for each rotation: the retired files are named after it. */
function clock(): () => Date {
  const at = new Date(Date.UTC(2025, 0, 1, 0, 0, ++tick));
  return () => at;
}

/** Chains main, b and zeta written with the first key, then `warden key rotate`, then more on main and zeta with the new key. */
async function rotatedMultiChain() {
  const dir = tempDir();
  const db = join(dir, "ledger.db");
  const { privateKey: oldKey } = await generateKeyPair(dir);
  for (const chain of ["main", "b", "zeta"]) await write(db, oldKey, chain, 5);
  const rotation = await rotateSigningKey(db, { reason: "ledger.key leaked", clock: clock() });
  const newKey = await loadSigningKey(join(dir, "ledger.key"));
  await write(db, newKey, "main", 3, 5);
  await write(db, newKey, "zeta", 3, 5);
  return {
    dir,
    db,
    oldKey,
    newKey,
    rotation,
    keys: [createPublicKey(oldKey), createPublicKey(newKey)],
  };
}

describe("a key retired by warden key rotate", () => {
  it("still verifies a genuine ledger of several chains, beside it, with the keys given, and exported", async () => {
    const { dir, db, newKey, rotation, keys } = await rotatedMultiChain();
    expect(rotation.record).toMatchObject({ chain: "main", seq: 6 });
    // The record and the new key's checkpoint sealing it were written together.
    const conn = new Database(db, { readonly: true });
    const sealing = conn
      .prepare("SELECT key_id, chains FROM checkpoints WHERE chain = 'main' AND seq = 6")
      .get();
    conn.close();
    expect(sealing).toEqual({ key_id: rotation.to, chains: JSON.stringify({ b: 5, main: 6, zeta: 5 }) });
    expect(await verifyDatabase(db)).toMatchObject({ ok: true, records: 22 });
    expect(await verifyDatabase(db, { publicKey: keys })).toMatchObject({ ok: true });
    expect(await verifyDatabase(db, { publicKey: [...keys].reverse() })).toMatchObject({ ok: true });
    const out = join(dir, "ledger.jsonl");
    await exportJsonl(db, out, { signingKey: newKey });
    expect(await verifyJsonl(out)).toMatchObject({ ok: true, records: 22 });
    expect(await verifyJsonl(out, { publicKey: keys })).toMatchObject({ ok: true });
    const verified = await cli(["verify", "--jsonl", out], dir);
    expect(verified.code).toBe(0);
  });

  it("backs up to a copy that verifies on its own, the retired public keys beside it", async () => {
    const { dir, db } = await rotatedMultiChain();
    const to = join(tempDir(), "copy.db");
    const backup = await cli(["backup", "--to", to, "--db", db], dir);
    expect(backup.stdout).toContain("verified");
    expect(backup.code).toBe(0);
    expect(await verifyDatabase(to)).toMatchObject({ ok: true, records: 22 });
    // To standard output: the copy is verified in a private folder first, with the same keys beside it.
    let stderr = "";
    const code = await main(["backup", "--to", "-", "--db", db], {
      stdout: () => undefined,
      stderr: (t) => {
        stderr += t;
      },
      cwd: dir,
      env: {},
      stdoutStream: new PassThrough().resume(),
    });
    expect(stderr).toMatch(/22 records, verified/);
    expect(code).toBe(0);
  });

  it("cannot sign a new chain after the rotation, whatever its name sorts before or after", async () => {
    for (const chain of ["aaa", "zzz"]) {
      const { db, oldKey, keys } = await rotatedMultiChain();
      // Whoever holds the retired key runs a writer of their own on a chain the ledger never had.
      await write(db, oldKey, chain, 4);
      for (const options of [{}, { publicKey: keys }]) {
        expect(await verifyDatabase(db, options)).toMatchObject({
          ok: false,
          problem: "checkpoint-unknown-key",
          chain,
          seq: 2,
          message: expect.stringContaining("retired by the key.rotate record at main#6"),
        });
      }
    }
  });

  it("cannot extend another chain past the seq the new key signed for it at the rotation", async () => {
    const { db, oldKey, keys } = await rotatedMultiChain();
    // Chain b stopped before the rotation (its checkpoint at 5 was signed then): records 6.. are new.
    await write(db, oldKey, "b", 4, 5);
    expect(await verifyDatabase(db, { publicKey: keys })).toMatchObject({
      ok: false,
      problem: "checkpoint-unknown-key",
      chain: "b",
      // The verifier keeps each key's first and last checkpoint per chain, not every one: it names the last.
      seq: 9,
      message: expect.stringMatching(/only up to seq 5, .* signs here up to seq 9$/),
    });
  });

  it("cannot rewrite another chain's records up to the seq the rotation attested and sign them again", async () => {
    const { db, oldKey, keys } = await rotatedMultiChain();
    // Chain b: records 1..5, checkpoints signed with the old key before the rotation. Whoever holds that
    // key rewrites record 3, carries the hashes on to 5, and signs b's checkpoints again.
    rewriteAndResign(db, oldKey, "b", 3);
    expect(await verifyDatabase(db, { publicKey: keys })).toMatchObject({
      ok: false,
      problem: "checkpoint-unknown-key",
      chain: "b",
      seq: 5,
      message: expect.stringContaining("rewritten and signed again"),
    });
    expect(await verifyDatabase(db)).toMatchObject({ ok: false, chain: "b" });
  });

  it("pins the heads its sealing checkpoint signs, though another writer's checkpoint comes in as it reads them", async () => {
    const dir = tempDir();
    const db = join(dir, "ledger.db");
    const { privateKey: oldKey } = await generateKeyPair(dir);
    for (const chain of ["main", "b"]) await write(db, oldKey, chain, 5);
    // Another process, still on the old key, seals two more records of b right after the rotation read b's head.
    const read = SqliteStore.prototype.checkpoints;
    let raced = false;
    const spy = vi.spyOn(SqliteStore.prototype, "checkpoints").mockImplementation(async function (
      this: SqliteStore,
      chain: string,
    ) {
      const out = await read.call(this, chain);
      if (chain === "b" && !raced) {
        raced = true;
        await write(db, oldKey, "b", 2, 5);
      }
      return out;
    });
    const rotation = await rotateSigningKey(db, { reason: "ledger.key leaked", clock: clock() }).finally(() =>
      spy.mockRestore(),
    );
    expect(raced).toBe(true);
    expect(rotation.record.data.heads).toMatchObject({ main: { seq: 5 }, b: { seq: 7 } });
    const keys = [oldKey, await loadSigningKey(join(dir, "ledger.key"))].map((k) => createPublicKey(k));
    expect(await verifyDatabase(db)).toMatchObject({ ok: true, records: 13 });
    expect(await verifyDatabase(db, { publicKey: keys })).toMatchObject({ ok: true });
    // What that writer added before the rotation committed is pinned too: rewritten and signed again, it fails.
    rewriteAndResign(db, oldKey, "b", 6);
    expect(await verifyDatabase(db, { publicKey: keys })).toMatchObject({
      ok: false,
      problem: "checkpoint-unknown-key",
      chain: "b",
      seq: 7,
      message: expect.stringContaining("rewritten and signed again"),
    });
  });

  it("vouches on another chain only up to the head the rotation record pins, whatever seq the sealing checkpoint signs", async () => {
    const dir = tempDir();
    const db = join(dir, "ledger.db");
    const { privateKey: oldKey } = await generateKeyPair(dir);
    for (const chain of ["main", "b"]) await write(db, oldKey, chain, 5);
    // A rotation record pinning b at its checkpoint at 4, sealed by a checkpoint that signs b up to 5.
    const store = await SqliteStore.open(db);
    const pin = (await store.checkpoints("b")).find((c) => c.seq === 4)!;
    const newKey = generateKeyPairSync("ed25519");
    const ledger = await Ledger.open({ store, signingKey: newKey.privateKey, checkpointSeconds: 0 });
    await Promise.all([
      ledger.append({
        kind: "key.rotate",
        session: null,
        agent: null,
        callId: null,
        data: {
          from: keyIdOf(oldKey),
          to: keyIdOf(newKey.publicKey),
          publicKey: newKey.publicKey.export({ type: "spki", format: "der" }).toString("base64"),
          reason: "leaked",
          oldKey: "retired",
          heads: { b: { seq: 4, hash: pin.hash } },
        },
      }),
      ledger.checkpointNow(),
    ]);
    await ledger.close();
    const keys = [createPublicKey(oldKey), newKey.publicKey];
    expect(await verifyDatabase(db, { publicKey: keys })).toMatchObject({
      ok: false,
      problem: "checkpoint-unknown-key",
      chain: "b",
      seq: 5,
      message: expect.stringContaining("only up to seq 4, as pinned by the rotation"),
    });
  });

  it("cannot sign its own export's end line", async () => {
    const { dir, db, oldKey, keys } = await rotatedMultiChain();
    const out = join(dir, "ledger.jsonl");
    await exportJsonl(db, out, { signingKey: oldKey, publicKey: createPublicKey(oldKey) });
    expect(await verifyJsonl(out, { publicKey: keys })).toMatchObject({
      ok: false,
      problem: "end-signature",
    });
  });

  it("after two rotations in a row: the genuine ledger verifies, neither retired key can add a chain", async () => {
    const { dir, db, oldKey, newKey } = await rotatedMultiChain();
    await rotateSigningKey(db, { reason: "again", chain: "zeta", clock: clock() });
    const third = await loadSigningKey(join(dir, "ledger.key"));
    await write(db, third, "main", 2, 8);
    await write(db, third, "b", 2, 5);
    const keys = [oldKey, newKey, third].map((k) => createPublicKey(k));
    expect(readdirSync(dir).filter((f) => f.endsWith(".pub"))).toHaveLength(3);
    expect(await verifyDatabase(db)).toMatchObject({ ok: true, records: 27 });
    expect(await verifyDatabase(db, { publicKey: keys })).toMatchObject({ ok: true });
    const out = join(dir, "ledger.jsonl");
    await exportJsonl(db, out, { signingKey: third });
    expect(await verifyJsonl(out)).toMatchObject({ ok: true, records: 27 });
    for (const [key, where] of [
      [oldKey, "main#6"],
      [newKey, "zeta#9"],
    ] as const) {
      const copy = join(tempDir(), "ledger.db");
      const src = new Database(db, { readonly: true });
      await src.backup(copy);
      src.close();
      await write(copy, key, "evil", 2);
      expect(await verifyDatabase(copy, { publicKey: keys })).toMatchObject({
        ok: false,
        problem: "checkpoint-unknown-key",
        chain: "evil",
        message: expect.stringContaining(where),
      });
    }
  });

  it("refuses a trusted key that no rotation names once the ledger holds a rotation", async () => {
    const { db, keys } = await rotatedMultiChain();
    const stranger = generateKeyPairSync("ed25519").privateKey;
    await write(db, stranger, "aaa", 2);
    expect(await verifyDatabase(db, { publicKey: [...keys, createPublicKey(stranger)] })).toMatchObject({
      ok: false,
      problem: "checkpoint-unknown-key",
      chain: "aaa",
      message: expect.stringContaining("no key.rotate record here names"),
    });
  });

  it("an archive exported before the rotation still verifies with both keys, in either order", async () => {
    const dir = tempDir();
    const db = join(dir, "ledger.db");
    const { privateKey: oldKey } = await generateKeyPair(dir);
    for (const chain of ["main", "b"]) await write(db, oldKey, chain, 5);
    const archive = join(dir, "before.jsonl");
    await exportJsonl(db, archive, { signingKey: oldKey });
    await rotateSigningKey(db, { reason: "routine", clock: clock() });
    const keys = [oldKey, await loadSigningKey(join(dir, "ledger.key"))].map((k) => createPublicKey(k));
    expect(await verifyJsonl(archive, { publicKey: keys })).toMatchObject({ ok: true });
    expect(await verifyJsonl(archive, { publicKey: [...keys].reverse() })).toMatchObject({ ok: true });
  });

  it("cannot come back by removing the rotation with the records before it, as a prune would", async () => {
    const { db, oldKey, keys } = await rotatedMultiChain();
    const conn = new Database(db);
    // Chain main now resumes at the new key's checkpoint at 8: the key.rotate record at 6 is gone.
    conn.prepare("DELETE FROM records WHERE chain = 'main' AND seq <= 8").run();
    conn.prepare("DELETE FROM checkpoints WHERE chain = 'main' AND seq < 8").run();
    conn.close();
    await write(db, oldKey, "evil", 2);
    expect(await verifyDatabase(db, { publicKey: [...keys].reverse() })).toMatchObject({
      ok: false,
      problem: "checkpoint-unknown-key",
      message: expect.stringContaining("no key.rotate record here names"),
    });
  });

  it("cannot undo the rotation beside the ledger: remove it with what followed, then sign on with the old key", async () => {
    const { dir, db, oldKey } = await rotatedMultiChain();
    const conn = new Database(db);
    for (const table of ["records", "checkpoints"]) {
      conn.prepare(`DELETE FROM ${table} WHERE chain IN ('main', 'zeta') AND seq >= 6`).run();
    }
    conn.close();
    await write(db, oldKey, "main", 3, 5);
    // ledger.pub is the new key, ledger.retired-*.pub the old one: a rotation retired it, and it is gone.
    expect(await verifyDatabase(db)).toMatchObject({
      ok: false,
      problem: "checkpoint-unknown-key",
      message: expect.stringContaining("must hold their key.rotate records: one was removed"),
    });
    const verified = await cli(["verify", "--db", db], dir);
    expect(verified.code).not.toBe(0);
  });

  it("prune keeps a key.rotate record while the retired key's checkpoints stay on another chain", async () => {
    const { dir, db, newKey } = await rotatedMultiChain();
    const archive = join(dir, "archive.jsonl");
    await exportJsonl(db, archive, { signingKey: newKey });
    await expect(pruneSqlite(db, { chain: "main", through: 8, archive })).rejects.toMatchObject({
      code: "LEDGER_PRUNE_REFUSED",
      message: expect.stringContaining("key.rotate record at main#6"),
    });
    // Up to the record's seq minus one it may go: the record stays.
    await expect(pruneSqlite(db, { chain: "main", through: 4, archive })).resolves.toMatchObject({
      removedRecords: 4,
    });
    expect(await verifyDatabase(db)).toMatchObject({ ok: true });
  });

  it("is refused past the rotation in a listing's range check too; genuine stretches stay sealed", async () => {
    const { db, oldKey, keys } = await rotatedMultiChain();
    await write(db, oldKey, "evil", 2);
    await write(db, oldKey, "b", 2, 5);
    const store = await SqliteStore.open(db);
    try {
      const range = (chain: string, seq: number) =>
        verifyStoreRange(store, [{ chain, seq }], { publicKey: keys });
      expect((await range("b", 3)).state).toBe("sealed");
      expect((await range("main", 3)).state).toBe("sealed");
      expect((await range("main", 7)).state).toBe("sealed");
      for (const [chain, seq] of [
        ["evil", 1],
        ["b", 6],
      ] as const) {
        expect(await range(chain, seq)).toMatchObject({
          state: "failed",
          failure: { problem: "checkpoint-unknown-key", chain },
        });
      }
    } finally {
      await store.close();
    }
  });
});
