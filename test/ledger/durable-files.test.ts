// What verifying and starting need survives a crash: ledger.key, ledger.pub and admin.token reach the disk whole, under their names, before init returns.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";

const DIST_INIT = join(import.meta.dirname, "../../dist/cli/init.js");
const hasStrace = (() => {
  try {
    execFileSync("strace", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** The file-system calls of `warden init` (with an admin token), as the kernel saw them. */
function tracedInit(dir: string): string[] {
  const trace = join(dir, "trace.txt");
  const script = `import { initWarden } from ${JSON.stringify(DIST_INIT)};
const dir = ${JSON.stringify(join(dir, ".warden"))};
await initWarden({ dir, policy: dir + "/policy.yaml", db: dir + "/ledger.db", adminToken: dir + "/admin.token", key: dir + "/ledger.key" }, { adminToken: true });`;
  const calls = "trace=openat,fsync,fdatasync,link,linkat,rename,renameat,renameat2";
  execFileSync("strace", ["-f", "-qq", "-e", calls, "-o", trace, process.execPath, "--input-type=module"], {
    input: script,
    stdio: ["pipe", "ignore", "inherit"],
  });
  return readFileSync(trace, "utf8").split("\n");
}

describe.skipIf(!hasStrace)("files warden init writes", () => {
  it("are written to a temporary file, fsynced, linked to their name, and their folder fsynced", () => {
    const dir = tempDir();
    const lines = tracedInit(dir);
    const folder = join(dir, ".warden");
    for (const name of ["ledger.key", "ledger.pub", "admin.token"]) {
      const target = join(folder, name);
      const linked = lines.findIndex(
        (l) => /link(at)?\(/.test(l) && l.includes(`"${target}"`) && l.endsWith("= 0"),
      );
      expect(linked, `${name} gets its name by a link`).toBeGreaterThan(-1);
      const tmp = /"([^"]+)"/.exec(lines[linked]!)![1]!;
      const opened = lines.findIndex((l) => l.includes("openat(") && l.includes(`"${tmp}"`));
      const fd = /= (\d+)$/.exec(lines[opened]!)![1];
      const synced = lines.findIndex((l, i) => i > opened && i < linked && l.includes(`fsync(${fd})`));
      expect(synced, `${name}'s content is fsynced before it is named`).toBeGreaterThan(-1);
      const dirOpened = lines.findIndex(
        (l, i) => i > linked && l.includes(`"${folder}"`) && l.includes("O_RDONLY"),
      );
      expect(dirOpened, `${name}'s folder is opened after`).toBeGreaterThan(-1);
      const dirFd = /= (\d+)$/.exec(lines[dirOpened]!)![1];
      expect(lines.some((l, i) => i > dirOpened && l.includes(`fsync(${dirFd})`))).toBe(true);
    }
    expect(readFileSync(join(folder, "admin.token"), "utf8")).toMatch(/\S+\n$/);
  });
});
