// Real disk faults for tests: a small tmpfs to fill, and the filler.
import { execFileSync } from "node:child_process";
import { closeSync, openSync, writeSync } from "node:fs";
import { onCleanup } from "./helpers.js";

/**
 * Mounts a tmpfs of `size` on `dir`, unmounted after the test; false where mounting is refused (it needs
 * root or CAP_SYS_ADMIN, and root in a sandbox may still be refused mount(2)): the caller skips then.
 */
export function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "ignore" });
    onCleanup(() => void execFileSync("umount", ["-l", dir], { stdio: "ignore" }));
    return true;
  } catch {
    return false;
  }
}

/** Writes zeros to `path` until the filesystem is full. */
export function fillUp(path: string): void {
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(4096);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    closeSync(fd);
  }
}
