// A ledger that cannot write (disk full, read-only) denies every call with LEDGER_UNAVAILABLE; no tool body runs.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LedgerUnavailableError, Warden } from "../../src/index.js";
import { type LedgerStore, SqliteStore } from "../../src/ledger/index.js";
import { mountTmpfs } from "../disk.js";
import { onCleanup, PLAIN_POLICY, tempDir } from "../helpers.js";

const probe = tempDir("warden-mount-probe-");
const canMount = mountTmpfs(probe, "64k");

describe.runIf(canMount)("ledger on a failing filesystem", () => {
  it("denies every call with LEDGER_UNAVAILABLE when the disk is full", async () => {
    const dir = join(tempDir(), "mnt");
    mkdirSync(dir);
    expect(mountTmpfs(dir, "600k")).toBe(true);
    const warden = await Warden.open({ policy: PLAIN_POLICY, db: join(dir, "ledger.db") });
    onCleanup(() => warden.close().catch(() => undefined));
    const session = await warden.session({ agent: "a", onBehalfOf: "u", intent: "fill the disk" });
    let ran = 0;
    const read = session.guard("read_database", async (_a: { pad: string }) => ran++);
    const pad = "x".repeat(16 * 1024);
    let error: unknown;
    for (let i = 0; i < 200 && !error; i++) {
      await read({ pad }).catch((err) => {
        error = err;
      });
    }
    // The disk fills at an intent (nothing ran) or at an outcome (the tool ran: OUTCOME_UNRECORDED).
    expect(["LEDGER_UNAVAILABLE", "OUTCOME_UNRECORDED"]).toContain((error as { code?: string }).code);
    const ranBefore = ran;
    // Every further call is refused while the disk stays full, and no body runs.
    for (let i = 0; i < 5; i++)
      await expect(read({ pad })).rejects.toMatchObject({ code: "LEDGER_UNAVAILABLE" });
    expect(ran).toBe(ranBefore);
  });

  it("refuses to open a ledger on a read-only filesystem with LEDGER_UNAVAILABLE", async () => {
    const dir = tempDir();
    const db = join(dir, "ledger.db");
    const first = await Warden.open({ policy: PLAIN_POLICY, db });
    await first.close();
    // A read-only bind mount of the ledger's folder: the same files, no writes allowed.
    const readOnly = join(tempDir(), "ro");
    mkdirSync(readOnly);
    execFileSync("mount", ["--bind", dir, readOnly]);
    onCleanup(() => void execFileSync("umount", ["-l", readOnly], { stdio: "ignore" }));
    execFileSync("mount", ["-o", "remount,bind,ro", readOnly]);
    await expect(
      Warden.open({ policy: PLAIN_POLICY, db: join(readOnly, "ledger.db") }),
    ).rejects.toMatchObject({
      code: "LEDGER_UNAVAILABLE",
    });
  });
});

// A filesystem that turns read-only under an open database cannot be staged here (Linux refuses the
// remount while the file is open for writing), so the store reports the error SQLite gives then.
describe("ledger that turns read-only while running", () => {
  it("denies every call with LEDGER_UNAVAILABLE and runs no tool body", async () => {
    const dir = tempDir();
    const real = await SqliteStore.open(join(dir, "ledger.db"));
    let readOnly = false;
    const store = new Proxy(real, {
      get(target, name) {
        if (name === "append" && readOnly) {
          return () =>
            Promise.reject(
              new LedgerUnavailableError("attempt to write a readonly database (SQLITE_READONLY)"),
            );
        }
        const value = Reflect.get(target, name, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    }) as LedgerStore;
    const warden = await Warden.open({ policy: PLAIN_POLICY, db: store });
    onCleanup(() => warden.close().catch(() => undefined));
    const session = await warden.session({ agent: "a", onBehalfOf: "u", intent: "t" });
    let ran = 0;
    const read = session.guard("read_database", async () => ran++);
    await read();
    readOnly = true;
    for (let i = 0; i < 3; i++) await expect(read()).rejects.toMatchObject({ code: "LEDGER_UNAVAILABLE" });
    expect(ran).toBe(1);
    readOnly = false;
    await read();
    expect(ran).toBe(2);
  });
});
