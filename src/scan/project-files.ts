// Files a project check reads beside its manifest: read inside the scanned folder, or recorded as errors.

import { lstat } from "node:fs/promises";
import { join } from "node:path";
import { readInRoot } from "./read-text.js";
import type { FileError, Finding, InstallScriptEntry } from "./types.js";

export interface ProjectResult {
  findings: Finding[];
  errors: FileError[];
  installScripts: InstallScriptEntry[];
}

/**
 * The text of a project file, or undefined when it is absent. A file that is there but may not or cannot
 * be read (a link out of the scanned folder, a FIFO, a read error) is recorded in `errors` and is
 * undefined too: never read from outside, never skipped in silence.
 */
export async function readProjectFile(
  root: string,
  rel: string,
  errors: FileError[],
): Promise<string | undefined> {
  const r = await readInRoot(root, rel);
  if ("refused" in r && !errors.some((e) => e.file === rel))
    errors.push({ file: rel, line: 1, column: 1, kind: "read", message: r.refused });
  return "text" in r ? r.text : undefined;
}

/** Whether a file is there at all, readable or not. */
export const present = async (root: string, rel: string): Promise<boolean> =>
  (await lstat(join(root, rel)).catch(() => undefined)) !== undefined;

export const relJoin = (dir: string, name: string): string => (dir ? `${dir}/${name}` : name);
