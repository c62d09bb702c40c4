// A lost or leaked signing key: warden key rotate moves the ledger to a new key with a signed record, and verify follows it.
import { createPublicKey, sign } from "node:crypto";
import { readdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { Warden } from "../../src/index.js";
import { checkpointMessage } from "../../src/ledger/hash.js";
import {
  exportJsonl,
  generateKeyPair,
  keyIdOf,
  Ledger,
  ledgerSigningKey,
  loadPublicKey,
  loadSigningKey,
  rotateSigningKey,
  SqliteStore,
  verifyDatabase,
  verifyJsonl,
} from "../../src/ledger/index.js";
import { cli } from "../cli/run-cli.js";
import { appendSerially, sqliteLedger, tempDir } from "./helpers.js";

async function rotatedAfterLoss() {
  const dir = tempDir();
  const {
    ledger,
    db,
    publicKey: oldPublic,
    signingKey: oldKey,
  } = await sqliteLedger(dir, { checkpointEvery: 4 });
  await appendSerially(ledger, 6);
  await ledger.close();
  // The crash of issue 14: the key file came back empty.
  writeFileSync(join(dir, "ledger.key"), "");
  const rotated = await cli(["key", "rotate", "--reason", "ledger.key lost in a crash", "--db", db], dir);
  expect(rotated.stderr).toBe("");
  expect(rotated.code).toBe(0);
  const newKey = await loadSigningKey(join(dir, "ledger.key"));
  const next = await Ledger.open({
    store: await SqliteStore.open(db),
    signingKey: newKey,
    checkpointSeconds: 0,
  });
  await appendSerially(next, 3, 6);
  await next.close();
  return { dir, db, oldPublic, oldKey, newPublic: createPublicKey(newKey) };
}

describe("warden key rotate", () => {
  it("writes a new key, keeps the old public key, and records the rotation; verify follows it", async () => {
    const { dir, db, oldPublic, newPublic } = await rotatedAfterLoss();
    const retired = readdirSync(dir).filter((f) => f.startsWith("ledger.retired-"));
    expect(retired.sort()).toEqual([expect.stringMatching(/\.key$/), expect.stringMatching(/\.pub$/)]);
    const conn = new Database(db, { readonly: true });
    const record = conn.prepare("SELECT seq, data FROM records WHERE kind = 'key.rotate'").get() as {
      seq: number;
      data: string;
    };
    conn.close();
    expect(record.seq).toBe(7);
    expect(JSON.parse(record.data)).toMatchObject({
      reason: "ledger.key lost in a crash",
      oldKey: "lost",
    });
    // Beside the ledger: ledger.pub and the retired public key.
    expect(await verifyDatabase(db)).toMatchObject({ ok: true, records: 10, keySource: "beside-ledger" });
    // Given: both keys verify the whole; the old one alone stops at the first checkpoint after the rotation.
    expect(await verifyDatabase(db, { publicKey: [oldPublic, newPublic] })).toMatchObject({ ok: true });
    expect(await verifyDatabase(db, { publicKey: oldPublic })).toMatchObject({
      ok: false,
      problem: "checkpoint-unknown-key",
      seq: 7,
    });
    const both = await cli(
      [
        "verify",
        "--db",
        db,
        "--key",
        join(dir, retired.find((f) => f.endsWith(".pub"))!),
        "--key",
        join(dir, "ledger.pub"),
      ],
      dir,
    );
    expect(both.code).toBe(0);
  });

  it("exports a rotated ledger that verifies on its own, and with both keys given", async () => {
    const { dir, db, oldPublic, newPublic } = await rotatedAfterLoss();
    const out = join(dir, "rotated.jsonl");
    const signingKey = await loadSigningKey(join(dir, "ledger.key"));
    await exportJsonl(db, out, { signingKey });
    expect(await verifyJsonl(out)).toMatchObject({ ok: true, records: 10 });
    expect(await verifyJsonl(out, { publicKey: [oldPublic, newPublic] })).toMatchObject({ ok: true });
    expect(await verifyJsonl(out, { publicKey: newPublic })).toMatchObject({
      ok: false,
      problem: "checkpoint-unknown-key",
    });
  });

  it("refuses a PostgreSQL ledger with a clear error, before any file is written", async () => {
    const dir = tempDir();
    const url = "postgres://127.0.0.1:5432/test";
    await expect(rotateSigningKey(url, { reason: "leaked" })).rejects.toMatchObject({
      code: "INVALID_REQUEST",
      message: expect.stringContaining("SQLite ledger only"),
    });
    const rotated = await cli(["key", "rotate", "--reason", "leaked", "--db", url], dir);
    expect(rotated.stderr).toContain("SQLite ledger only");
    expect(rotated.code).not.toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("refuses a checkpoint after the rotation signed with the retired key", async () => {
    const { db, oldKey, oldPublic, newPublic } = await rotatedAfterLoss();
    // Someone holding the leaked old key signs the head as if nothing had happened.
    const conn = new Database(db);
    const head = conn.prepare("SELECT seq, hash, ts FROM records ORDER BY seq DESC LIMIT 1").get() as {
      seq: number;
      hash: string;
      ts: string;
    };
    conn.prepare("DELETE FROM checkpoints WHERE seq = ?").run(head.seq);
    const body = { chain: "main", seq: head.seq, hash: head.hash, ts: head.ts };
    const signature = sign(null, checkpointMessage(body), oldKey).toString("base64");
    const keyId = (await import("../../src/ledger/index.js")).keyIdOf(oldPublic);
    conn
      .prepare("INSERT INTO checkpoints (chain, seq, ts, hash, signature, key_id) VALUES (?, ?, ?, ?, ?, ?)")
      .run("main", head.seq, head.ts, head.hash, signature, keyId);
    conn.close();
    expect(await verifyDatabase(db, { publicKey: [oldPublic, newPublic] })).toMatchObject({
      ok: false,
      problem: "checkpoint-unknown-key",
      seq: head.seq,
    });
  });
});

describe("a rotation a crash cut short", () => {
  async function ledgerWithKey() {
    const dir = tempDir();
    const { ledger, db } = await sqliteLedger(dir, { checkpointEvery: 4 });
    await appendSerially(ledger, 6);
    await ledger.close();
    return { dir, db, oldId: keyIdOf(await loadSigningKey(join(dir, "ledger.key"))) };
  }
  const files = (dir: string) => readdirSync(dir).filter((f) => /^ledger\.(next|retired-)/.test(f));
  const keyBeside = async (dir: string) => keyIdOf(await loadSigningKey(join(dir, "ledger.key")));

  it("is dropped when it stopped before its record: the ledger keeps its key", async () => {
    const { dir, db, oldId } = await ledgerWithKey();
    // Step 1 done (the new pair staged), step 2 never committed.
    await generateKeyPair({
      privateKey: join(dir, "ledger.next.key"),
      publicKey: join(dir, "ledger.next.pub"),
    });
    expect(keyIdOf(await ledgerSigningKey(db))).toBe(oldId);
    expect(files(dir)).toEqual([]);
    // A rotation now runs as on a ledger nothing happened to.
    const rotated = await rotateSigningKey(db, { reason: "retired" });
    expect(rotated.from).toBe(oldId);
    expect(await keyBeside(dir)).toBe(rotated.to);
    expect(await verifyDatabase(db)).toMatchObject({ ok: true });
  });

  it("is finished when it stopped after its record, before or halfway through moving the key files", async () => {
    for (const stoppedAfter of ["record", "private key moved"] as const) {
      const { dir, db, oldId } = await ledgerWithKey();
      const { to, retired } = await rotateSigningKey(db, { reason: "leaked" });
      // Put the files back as the crash left them: the new pair still staged (or only its public half).
      const retiredKey = retired.find((f) => f.endsWith(".key"))!;
      const retiredPub = retired.find((f) => f.endsWith(".pub"))!;
      if (stoppedAfter === "record") {
        renameSync(join(dir, "ledger.key"), join(dir, "ledger.next.key"));
        renameSync(retiredKey, join(dir, "ledger.key"));
      }
      renameSync(join(dir, "ledger.pub"), join(dir, "ledger.next.pub"));
      renameSync(retiredPub, join(dir, "ledger.pub"));
      expect(await keyBeside(dir)).toBe(stoppedAfter === "record" ? oldId : to);

      // The next open finishes it before signing anything: the ledger goes on with the key its record names.
      const warden = await Warden.open({ policy: { default: "allow" }, db });
      const session = await warden.session({ agent: "a", onBehalfOf: "u@example.com", intent: "t" });
      await session.guard("work", async (_: object) => "ok")({});
      await warden.close();
      expect(await keyBeside(dir)).toBe(to);
      expect(keyIdOf(await loadPublicKey(join(dir, "ledger.pub")))).toBe(to);
      expect(files(dir).filter((f) => f.startsWith("ledger.next"))).toEqual([]);
      expect(await verifyDatabase(db)).toMatchObject({ ok: true });
    }
  });
});
