// `--changed-since REF`: the files git reports as changed since REF, plus untracked ones.

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ScanError } from "./errors.js";

const run = promisify(execFile);

async function git(root: string, args: string[]): Promise<string[]> {
  try {
    const { stdout } = await run("git", ["-C", root, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return stdout.split("\n").filter((l) => l.length > 0);
  } catch (e) {
    const detail = e instanceof Error && "stderr" in e ? String(e.stderr).trim() : String(e);
    throw new ScanError("SCAN_GIT", `git ${args.join(" ")} failed: ${detail}`);
  }
}

/** Paths relative to root (`/`-separated) changed since `ref`, untracked files included. */
export async function changedFiles(root: string, ref: string): Promise<string[]> {
  if (ref.startsWith("-")) throw new ScanError("SCAN_USAGE", `--changed-since: "${ref}" is not a git ref`);
  await git(root, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  const diffed = await git(root, ["diff", "--name-only", "--relative", "--no-renames", ref, "--"]);
  const untracked = await git(root, ["ls-files", "--others", "--exclude-standard"]);
  return [...new Set([...diffed, ...untracked])].sort();
}
