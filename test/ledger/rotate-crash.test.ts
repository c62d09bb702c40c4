// warden key rotate stopped at every step (a failure injected into each file operation and commit): the ledger keeps its key or the next open finishes the rotation.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  keyIdOf,
  Ledger,
  ledgerSigningKey,
  loadPublicKey,
  rotateSigningKey,
  SqliteStore,
  verifyDatabase,
} from "../../src/ledger/index.js";
import { appendSerially, sqliteLedger, tempDir } from "./helpers.js";

/**
 * The step that fails: the `at`-th link, rename or store append from when it is set (-1: none). `reached`
 * holds the kinds of step counted: a mock that did not take (a module loaded before it) fails the test
 * instead of testing less.
 */
const crash = vi.hoisted(() => ({ at: -1, steps: 0, reached: new Set<string>() }));

function step(kind: "link" | "rename" | "append"): void {
  if (crash.at < 0) return;
  crash.reached.add(kind);
  if (crash.steps++ === crash.at) throw new Error("injected crash");
}

vi.mock("node:fs/promises", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs/promises")>();
  return {
    ...fs,
    link: async (...args: Parameters<typeof fs.link>) => {
      step("link");
      return fs.link(...args);
    },
    rename: async (...args: Parameters<typeof fs.rename>) => {
      step("rename");
      return fs.rename(...args);
    },
  };
});

const append = SqliteStore.prototype.append;
vi.spyOn(SqliteStore.prototype, "append").mockImplementation(async function (
  this: SqliteStore,
  ...args: Parameters<SqliteStore["append"]>
) {
  step("append");
  return append.apply(this, args);
});

afterEach(() => {
  crash.at = -1;
});

async function ledgerWithKey() {
  const dir = tempDir();
  const { ledger, db } = await sqliteLedger(dir, { checkpointEvery: 4 });
  await appendSerially(ledger, 6);
  await ledger.close();
  return { dir, db, oldId: keyIdOf(await ledgerSigningKey(db)) };
}

async function rotationsIn(db: string): Promise<unknown[]> {
  const store = await SqliteStore.open(db, { readonly: true });
  try {
    return (await store.query({ kinds: ["key.rotate"] })).map((r) => r.data.to);
  } finally {
    await store.close();
  }
}

describe("warden key rotate stopped at any step", () => {
  it("leaves the old key in force, or a rotation the next open finishes; the ledger verifies either way", async () => {
    const outcomes = new Set<string>();
    for (let at = 0; ; at++) {
      const { dir, db, oldId } = await ledgerWithKey();
      crash.at = at;
      crash.steps = 0;
      const stopped = await rotateSigningKey(db, { reason: "leaked" }).then(
        () => false,
        (err: Error) => {
          expect(err.message + String(err.cause)).toContain("injected crash");
          return true;
        },
      );
      crash.at = -1;
      if (!stopped) break;
      // The next open settles it before anything is signed.
      const key = await ledgerSigningKey(db);
      const rotations = await rotationsIn(db);
      const inForce = keyIdOf(key);
      if (rotations.length === 0) expect(inForce).toBe(oldId);
      else expect(rotations).toEqual([inForce]);
      outcomes.add(rotations.length === 0 ? "old key" : "finished");
      expect(keyIdOf(await loadPublicKey(join(dir, "ledger.pub")))).toBe(inForce);
      expect(readdirSync(dir).filter((f) => f.startsWith("ledger.next"))).toEqual([]);
      // The retired public key stays beside the ledger: the old checkpoints verify with it.
      expect(
        readdirSync(dir).filter((f) => f.startsWith("ledger.retired-") && f.endsWith(".pub")),
      ).toHaveLength(rotations.length);
      const writer = await Ledger.open({ store: await SqliteStore.open(db), signingKey: key });
      await appendSerially(writer, 2, 6);
      await writer.close();
      expect(await verifyDatabase(db)).toMatchObject({ ok: true });
      // And a rotation now completes.
      const again = await rotateSigningKey(db, { reason: "again" });
      expect(keyIdOf(await ledgerSigningKey(db))).toBe(again.to);
      expect(existsSync(join(dir, "ledger.next.key"))).toBe(false);
      expect(await verifyDatabase(db)).toMatchObject({ ok: true });
    }
    expect(crash.reached).toEqual(new Set(["link", "rename", "append"]));
    expect(outcomes).toEqual(new Set(["old key", "finished"]));
  });
});

describe("an open of the ledger while warden key rotate runs", () => {
  it("does not cost the rotation its new key: the rotation stages it again once its record committed", async () => {
    const { dir, db, oldId } = await ledgerWithKey();
    // A `warden mcp` starting while the new pair is staged and its record not yet committed takes the
    // pair for the leftover of a rotation a crash cut short, and removes it.
    const read = SqliteStore.prototype.checkpoints;
    let opened = false;
    const spy = vi.spyOn(SqliteStore.prototype, "checkpoints").mockImplementation(async function (
      this: SqliteStore,
      chain: string,
    ) {
      if (!opened) {
        opened = true;
        expect(keyIdOf(await ledgerSigningKey(db))).toBe(oldId);
      }
      return read.call(this, chain);
    });
    const rotation = await rotateSigningKey(db, { reason: "leaked" }).finally(() => spy.mockRestore());
    expect(opened).toBe(true);
    expect(keyIdOf(await ledgerSigningKey(db))).toBe(rotation.to);
    expect(keyIdOf(await loadPublicKey(join(dir, "ledger.pub")))).toBe(rotation.to);
    expect(rotation.retired).toHaveLength(2);
    const writer = await Ledger.open({
      store: await SqliteStore.open(db),
      signingKey: await ledgerSigningKey(db),
    });
    await appendSerially(writer, 2, 7);
    await writer.close();
    expect(await verifyDatabase(db)).toMatchObject({ ok: true });
  });
});
