// Test helpers for the scanner: temporary projects, a fake CLI IO, and the fixtures folder.

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CliIO } from "../../src/cli/io.js";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "scan");

const made: string[] = [];

/** Writes `files` (relative path → content) into a fresh temp folder and returns its path. */
export async function project(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "warden-scan-test-"));
  made.push(root);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), text);
  }
  return root;
}

export async function cleanupProjects(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export interface FakeIO extends CliIO {
  out: string;
  err: string;
}

export function fakeIO(cwd: string): FakeIO {
  const io: FakeIO = {
    out: "",
    err: "",
    cwd,
    env: {},
    stdout: (t) => {
      io.out += t.endsWith("\n") ? t : `${t}\n`;
    },
    stderr: (t) => {
      io.err += t.endsWith("\n") ? t : `${t}\n`;
    },
  };
  return io;
}

/** A GitHub-token-shaped string built at run time, so no test file holds one. */
export const fakeGithubToken = (): string => `ghp_${"R8kQ2vW9mZx4Lp7TnB3cYh6Jd1Fs5Ga0EuVq"}`;
