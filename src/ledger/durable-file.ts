// Files that exist whole or not at all after a crash or power cut: written under a temporary name, fsynced, linked, the folder fsynced.
import { randomBytes } from "node:crypto";
import { link, mkdir, open, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Creates `path` with `content` and `mode`, durably, and never over an existing file (EEXIST then).
 * The content goes to a temporary file beside it, fsynced; a hard link gives it its name atomically
 * (unlike rename, link refuses to replace a file another process created meanwhile); then the folder
 * is fsynced so the new name survives a power cut too. Without this a key written just before a crash
 * can come back as 0 bytes beside an intact database, and the ledger could never be verified again.
 *
 * @example
 * await createFileDurably(".warden/admin.token", `${token}\n`, 0o600);
 */
export async function createFileDurably(path: string, content: string, mode: number): Promise<void> {
  const tmp = tempPathBeside(path);
  const file = await open(tmp, "wx", mode);
  try {
    await file.writeFile(content, "utf8");
    // The mode given to open passes through the umask.
    await file.chmod(mode);
  } catch (err) {
    await file.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await file.close();
  await publishDurably(tmp, path);
}

/** A fresh name for a temporary file in `path`'s folder (a link or rename stays in one file system). */
export function tempPathBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
}

/**
 * Gives the complete file `tmp` the name `path`, durably and never over an existing file (EEXIST
 * then): fsync its content, hard-link it (unlike rename, link refuses to replace a file another process
 * created meanwhile), fsync the folder. `tmp` is gone afterwards, whatever happened.
 */
export async function publishDurably(tmp: string, path: string): Promise<void> {
  try {
    const file = await open(tmp, "r+");
    try {
      await file.sync();
    } finally {
      await file.close();
    }
    await link(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
  await syncFolder(dirname(path));
}

/** fsync a folder, so the names created or removed in it are on disk. */
export async function syncFolder(dir: string): Promise<void> {
  const folder = await open(dir, "r");
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/** mkdir -p with `mode`; the parent of the first folder it created is fsynced, so the new folder survives a power cut. */
export async function makeFolderDurably(dir: string, mode: number): Promise<void> {
  const first = await mkdir(dir, { recursive: true, mode });
  if (first !== undefined) await syncFolder(dirname(first));
}
