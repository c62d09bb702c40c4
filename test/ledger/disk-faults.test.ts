// Real disk faults on a small tmpfs: a full disk and a read-only filesystem make appends fail closed.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Ledger, loadSigningKey, SqliteStore, verifyDatabase } from "../../src/ledger/index.js";
import { cli } from "../cli/run-cli.js";
import { fillUp } from "../disk.js";
import { appendSerially, intent, sqliteLedger } from "./helpers.js";

/** Mounting needs root (or CAP_SYS_ADMIN) and a kernel that allows it here; find out once, and say why not. */
function probeMount(): { ok: boolean; why: string } {
  const dir = mkdtempSync(join(tmpdir(), "warden-mount-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir], { stdio: "pipe" });
    execFileSync("umount", [dir], { stdio: "pipe" });
    return { ok: true, why: "" };
  } catch (err) {
    return { ok: false, why: String((err as { stderr?: Buffer }).stderr ?? err).trim() };
  } finally {
    rmdirSync(dir);
  }
}

const mount = probeMount();
if (!mount.ok) console.warn(`disk-fault tests not run: cannot mount a tmpfs here (${mount.why})`);

async function withTmpfs(size: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "warden-tmpfs-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", dir]);
  try {
    await fn(dir);
  } finally {
    execFileSync("umount", [dir]);
    rmdirSync(dir);
  }
}

describe("real disk faults", () => {
  it.runIf(mount.ok)(
    "a full disk rejects appends with LEDGER_UNAVAILABLE; freeing space lets the ledger go on",
    async () => {
      await withTmpfs("512k", async (dir) => {
        const { ledger, db } = await sqliteLedger(dir);
        await appendSerially(ledger, 3);
        const head = await ledger.head();
        fillUp(join(dir, "filler"));
        const big = { blob: "x".repeat(64 * 1024) };
        const failed = await Promise.allSettled([
          ledger.append(intent(3, big)),
          ledger.append(intent(4, big)),
        ]);
        for (const r of failed)
          expect(r).toMatchObject({ status: "rejected", reason: { code: "LEDGER_UNAVAILABLE" } });
        expect(await ledger.head()).toEqual(head);
        rmSync(join(dir, "filler"));
        expect((await ledger.append(intent(5))).seq).toBe(4);
        await ledger.close();
        expect(await verifyDatabase(db)).toMatchObject({ ok: true, records: 4 });
      });
    },
  );

  it.runIf(mount.ok)("a read-only filesystem makes the ledger unavailable, and loses nothing", async () => {
    await withTmpfs("2m", async (dir) => {
      const { ledger, db } = await sqliteLedger(dir);
      await appendSerially(ledger, 3);
      await ledger.close();
      execFileSync("mount", ["-o", "remount,ro", dir]);
      try {
        const attempt = (async () => {
          const store = await SqliteStore.open(db);
          const reopened = await Ledger.open({
            store,
            signingKey: await loadSigningKey(join(dir, "ledger.key")),
          });
          try {
            await reopened.append(intent(9));
          } finally {
            await reopened.close().catch(() => undefined);
          }
        })();
        await expect(attempt).rejects.toMatchObject({ code: "LEDGER_UNAVAILABLE" });
        // SQLite cannot open a WAL database where it cannot create the -shm file: reported, not thrown.
        expect(await verifyDatabase(db)).toMatchObject({ ok: false, problem: "unreadable" });
      } finally {
        execFileSync("mount", ["-o", "remount,rw", dir]);
      }
      expect(await verifyDatabase(db)).toMatchObject({ ok: true, records: 3 });
    });
  });

  it.runIf(mount.ok)("a backup onto a full disk fails and leaves no file at its destination", async () => {
    const ledgerDir = mkdtempSync(join(tmpdir(), "warden-backup-src-"));
    try {
      const { ledger, db } = await sqliteLedger(ledgerDir);
      await appendSerially(ledger, 400);
      await withTmpfs("64k", async (dir) => {
        const to = join(dir, "backup.db");
        const result = await cli(["backup", "--db", db, "--to", to], dir);
        expect(result.code).not.toBe(0);
        expect(readdirSync(dir)).toEqual([]);
      });
      await ledger.close();
    } finally {
      rmSync(ledgerDir, { recursive: true, force: true });
    }
  });
});
