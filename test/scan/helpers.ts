// Test helpers for the scanner: temporary projects, a fake CLI IO, and the fixtures folder.

import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CliIO } from "../../src/cli/io.js";
import { type ScanOptions, scan } from "../../src/scan/index.js";

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

/**
 * A temporary copy of a fixture project (a folder under test/fixtures/scan/), with some files replaced:
 * a string is the new content, a function rewrites the old one, null deletes the file.
 */
export async function fixtureProject(
  fixture: string,
  edits: Record<string, string | null | ((old: string) => string)> = {},
): Promise<string> {
  const files: Record<string, string> = {};
  const base = join(FIXTURES, fixture);
  for (const entry of await readdir(base, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[path.slice(base.length + 1)] = await readFile(path, "utf8");
  }
  for (const [rel, edit] of Object.entries(edits)) {
    if (edit === null) delete files[rel];
    else files[rel] = typeof edit === "function" ? edit(files[rel] ?? "") : edit;
  }
  return project(files);
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

/** An edit for fixtureProject: replaces `from` (which must be there) with `to`. */
export const swap =
  (from: string, to: string) =>
  (old: string): string => {
    if (!old.includes(from)) throw new Error(`fixture has no ${JSON.stringify(from)}`);
    return old.replace(from, to);
  };

const LOCK_RULES = new Set([
  "npm-lockfile-missing",
  "npm-lockfile-out-of-sync",
  "npm-missing-integrity",
  "npm-untrusted-registry",
  "npm-install-script",
]);

/** Scans `root` and lists its npm lockfile findings as `rule file:line package`, with the errors and the report. */
export async function lockFindings(root: string, options: Omit<ScanOptions, "root"> = {}) {
  const report = await scan({ root, ...options });
  return {
    errors: report.errors,
    findings: report.findings
      .filter((f) => LOCK_RULES.has(f.ruleId))
      .map((f) => `${f.ruleId} ${f.file}:${f.line} ${f.package ?? ""}`.trim()),
    messages: report.findings.filter((f) => LOCK_RULES.has(f.ruleId)).map((f) => f.message),
    report,
  };
}
