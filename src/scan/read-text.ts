// Reads a project file as text the way editors do: a leading UTF-8 byte-order mark is not content.
import { readFileSync } from "node:fs";
import { lstat, readFile, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";

/** Windows tools write package.json and requirements.txt with a BOM; JSON.parse and TOML refuse it. */
function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export function readTextSync(path: string): string {
  return withoutBom(readFileSync(path, "utf8"));
}

export async function readText(path: string): Promise<string> {
  return withoutBom(await readFile(path, "utf8"));
}

/** What reading a file of the scanned project gave: its text, nothing (absent), or why it was not read. */
export type ProjectRead = { text: string } | { missing: true } | { refused: string };

/**
 * Reads `rel` under `root` without leaving it: a symbolic link is followed only to a regular file inside
 * root, and a FIFO, device or folder is not opened (a FIFO would block the scan forever).
 */
export async function readInRoot(root: string, rel: string): Promise<ProjectRead> {
  const path = join(root, rel);
  const info = await lstat(path).catch((e: NodeJS.ErrnoException) => e);
  if (info instanceof Error) return info.code === "ENOENT" ? { missing: true } : { refused: info.message };
  try {
    let target = path;
    if (info.isSymbolicLink()) {
      const real = await realpath(path).catch(() => undefined);
      const inRoot = real === undefined ? undefined : relative(await realpath(root), real);
      if (
        inRoot === undefined ||
        inRoot === "" ||
        inRoot === ".." ||
        inRoot.startsWith(`..${sep}`) ||
        isAbsolute(inRoot)
      )
        return { refused: "symbolic link to a path outside the scanned folder: not followed" };
      target = real!;
    }
    if (!(await stat(target)).isFile()) return { refused: "not a regular file: not read" };
    return { text: await readText(target) };
  } catch (e) {
    return { refused: (e as Error).message };
  }
}
