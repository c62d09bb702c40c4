// A hostile repository: links out of the scanned folder and files that are not files must neither be
// read nor hang the scan, and what is refused is reported, never skipped in silence.

import { execFileSync } from "node:child_process";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scan } from "../../src/scan/index.js";
import { cleanupProjects, project } from "./helpers.js";

afterAll(cleanupProjects);

const LOCK_V3 = (name: string) =>
  JSON.stringify({
    name,
    lockfileVersion: 3,
    requires: true,
    packages: { "": { name, dependencies: { "left-pad": "1.3.0" } } },
  });

describe("project files the scan reads beside a manifest", () => {
  it("does not follow a lockfile link out of the scanned folder", async () => {
    const outside = await project({ "package-lock.json": LOCK_V3("x") });
    const root = await project({ "package.json": '{"name":"x","dependencies":{"left-pad":"1.3.0"}}' });
    await symlink(join(outside, "package-lock.json"), join(root, "package-lock.json"));
    const report = await scan({ root });
    expect(report.errors).toEqual([
      expect.objectContaining({
        file: "package-lock.json",
        kind: "read",
        message: expect.stringMatching(/outside the scanned folder/),
      }),
    ]);
  });

  it("follows a lockfile link that stays inside the scanned folder", async () => {
    const root = await project({
      "package.json": '{"name":"x","dependencies":{"left-pad":"1.3.0"}}',
      "locks/package-lock.json": LOCK_V3("x"),
    });
    await symlink("locks/package-lock.json", join(root, "package-lock.json"));
    const report = await scan({ root });
    expect(report.errors).toEqual([]);
    expect(report.findings.map((f) => f.ruleId)).not.toContain("npm-lockfile-missing");
  });

  it("does not open a FIFO named like a lockfile (it would block forever)", async () => {
    const root = await project({
      "package.json": '{"name":"x","dependencies":{"left-pad":"1.3.0"}}',
      "py/pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = ["requests==2.31.0"]\n',
    });
    execFileSync("mkfifo", [join(root, "package-lock.json"), join(root, "py/uv.lock"), join(root, ".npmrc")]);
    const report = await scan({ root });
    expect(report.errors.map((e) => [e.file, e.message])).toEqual([
      ["package-lock.json", "not a regular file: not read"],
      ["py/uv.lock", "not a regular file: not read"],
    ]);
  }, 10_000);

  it("neither opens a FIFO nor follows a link out for pnpm, Yarn, Bun and pipenv lockfiles", async () => {
    const outside = await project({ "yarn.lock": '# yarn lockfile v1\n\n\nzod@4.6.7:\n  version "4.6.7"\n' });
    const deps = '{"name":"x","dependencies":{"zod":"4.6.7"}}';
    const root = await project({
      "a/package.json": deps,
      "b/package.json": deps,
      "c/package.json": deps,
      "py/Pipfile": '[packages]\nrequests = "==2.32.3"\n',
    });
    execFileSync("mkfifo", [
      join(root, "a/pnpm-lock.yaml"),
      join(root, "b/bun.lock"),
      join(root, "py/Pipfile.lock"),
    ]);
    await symlink(join(outside, "yarn.lock"), join(root, "c/yarn.lock"));
    const report = await scan({ root });
    expect(report.errors.map((e) => [e.file, e.message])).toEqual([
      ["a/pnpm-lock.yaml", "not a regular file: not read"],
      ["b/bun.lock", "not a regular file: not read"],
      ["c/yarn.lock", "symbolic link to a path outside the scanned folder: not followed"],
      ["py/Pipfile.lock", "not a regular file: not read"],
    ]);
    expect(report.findings.filter((f) => f.ruleId.includes("lockfile"))).toEqual([]);
  }, 10_000);

  it("reports a linked-out .npmrc once, however many projects read it", async () => {
    const outside = await project({ ".npmrc": "registry=https://evil.example/\n" });
    const root = await project({
      "a/package.json": '{"name":"a","dependencies":{"left-pad":"1.3.0"}}',
      "a/package-lock.json": LOCK_V3("a"),
      "b/package.json": '{"name":"b","dependencies":{"left-pad":"1.3.0"}}',
      "b/package-lock.json": LOCK_V3("b"),
    });
    await symlink(join(outside, ".npmrc"), join(root, ".npmrc"));
    const report = await scan({ root });
    expect(report.errors.map((e) => e.file)).toEqual([".npmrc"]);
  });
});

describe("--changed-since", () => {
  it("does not read a changed link out of the scanned folder", async () => {
    const outside = await project({ "leak.json": '{"token":"x"}' });
    const root = await project({ "README.md": "x\n" });
    const git = (...args: string[]) => execFileSync("git", ["-C", root, ...args], { stdio: "pipe" });
    git("init", "-q");
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "init");
    await mkdir(join(root, "cfg"));
    await symlink(join(outside, "leak.json"), join(root, "cfg/settings.json"));
    await writeFile(join(root, "cfg/plain.json"), "{}\n");
    const report = await scan({ root, changedSince: "HEAD" });
    expect(report.filesScanned).toBe(1);
  });
});
