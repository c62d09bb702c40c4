// bun.lock (Bun's text lockfile, JSONC): it pins a project like package-lock.json does, and the same rules read it.

import { afterAll, describe, expect, it } from "vitest";
import { cleanupProjects, fixtureProject, lockFindings, project, swap } from "./helpers.js";

afterAll(cleanupProjects);

const ZOD = "sha512-g8W2D2kU6a8untc053fX1uVBKzM7yqAxW/3zwk83+6RyF2+SKOuV+c0wBDhUwzV1PaGapmZH+rmcUzPf+3CGwg==";
const COMMIT = "9f2c41d07be3a8e6a1f5c0d4b2e7a3c6d8f1e0b9";
const zodEntry = `"zod": ["zod@4.6.7", "", {}, "${ZOD}"],`;

describe("bun.lock", () => {
  it("pins a workspace whose package.json files agree with it (comments and trailing commas are JSONC)", async () => {
    const r = await lockFindings(
      await fixtureProject("lockfiles/bun", {
        "bun.lock": swap('  "packages": {', '  // resolved packages\n  "packages": {'),
      }),
    );
    expect(r.errors).toEqual([]);
    expect(r.report.findings).toEqual([]);
  });

  it("is out of sync when a workspace's package.json changed", async () => {
    const root = await fixtureProject("lockfiles/bun", {
      "packages/slack-tool/package.json": swap('"yaml": "2.9.1"', '"yaml": "2.9.2"'),
      "package.json": swap('"typescript": "5.9.3"', '"typescript": "5.9.3",\n    "vitest": "4.1.12"'),
    });
    const r = await lockFindings(root);
    expect(r.findings).toEqual([
      "npm-lockfile-out-of-sync bun.lock:5 vitest",
      "npm-lockfile-out-of-sync bun.lock:16 yaml",
    ]);
    expect(r.messages).toEqual([
      "devDependencies.vitest is not in the lockfile",
      'packages/slack-tool: dependencies.yaml is "2.9.2" but the lockfile has "2.9.1"',
    ]);
  });

  it("flags an npm entry without integrity, at its line", async () => {
    const root = await fixtureProject("lockfiles/bun", {
      "bun.lock": swap(zodEntry, '"zod": ["zod@4.6.7", "", {}, ""],'),
    });
    expect((await lockFindings(root)).findings).toEqual(["npm-missing-integrity bun.lock:39 zod"]);
  });

  it("reads the registry of each npm entry: empty is the default registry, which another configured one is not", async () => {
    const onCorp = await fixtureProject("lockfiles/bun", {
      "bun.lock": swap(
        zodEntry,
        `"zod": ["zod@4.6.7", "https://npm.corp.example/zod/-/zod-4.6.7.tgz", {}, "${ZOD}"],`,
      ),
    });
    const r = await lockFindings(onCorp);
    expect(r.findings).toEqual(["npm-untrusted-registry bun.lock:39 zod"]);
    expect(r.messages[0]).toBe(
      "zod@4.6.7 is resolved from https://npm.corp.example/zod/-/zod-4.6.7.tgz, not from https://registry.npmjs.org/",
    );
    const corpConfigured = await lockFindings(
      await fixtureProject("lockfiles/bun", {
        "bun.lock": swap(
          zodEntry,
          `"zod": ["zod@4.6.7", "https://npm.corp.example/zod/-/zod-4.6.7.tgz", {}, "${ZOD}"],`,
        ),
        ".npmrc": "registry=https://npm.corp.example/\n",
      }),
    );
    // zod now comes from the configured registry; every other entry from npm's, which is not it.
    expect(corpConfigured.findings).toEqual([
      "npm-untrusted-registry bun.lock:27 @types/node",
      "npm-untrusted-registry bun.lock:29 debug",
      "npm-untrusted-registry bun.lock:31 ms",
      "npm-untrusted-registry bun.lock:33 typescript",
      "npm-untrusted-registry bun.lock:35 undici-types",
      "npm-untrusted-registry bun.lock:37 yaml",
    ]);
  });

  it("reads tarball, git and github entries, and leaves the project's own (file:, link:) alone", async () => {
    const extra = [
      `"agent-kit": ["agent-kit@git+https://github.com/acme/agent-kit.git#v1.2.0", {}, "${COMMIT}"],`,
      '"issue-kit": ["issue-kit@github:acme/issue-kit#main", {}, "acme-issue-kit-1a2b3c4"],',
      `"packed": ["packed@https://files.example.com/packed-1.0.0.tgz", {}, "${ZOD}"],`,
      '"local-prompts": ["local-prompts@file:vendor/local-prompts", {}],',
      '"shared": ["shared@link:../shared", {}],',
      '"vendored": ["vendored@./vendor/vendored-2.0.0.tgz", {}],',
    ].join("\n\n    ");
    const root = await fixtureProject("lockfiles/bun", {
      "bun.lock": swap(zodEntry, `${extra}\n\n    ${zodEntry}`),
    });
    expect((await lockFindings(root)).findings).toEqual([
      "npm-untrusted-registry bun.lock:39 agent-kit",
      "npm-missing-integrity bun.lock:41 issue-kit",
      "npm-untrusted-registry bun.lock:41 issue-kit",
      "npm-untrusted-registry bun.lock:43 packed",
    ]);
  });

  it("reports a project below the root that the lockfile has no workspace for", async () => {
    const root = await fixtureProject("lockfiles/bun", {
      "scripts/seed/package.json": '{"name":"seed","dependencies":{"zod":"4.6.7"}}',
    });
    expect((await lockFindings(root)).messages).toEqual([
      "no lockfile records this project: bun.lock above records no project at scripts/seed",
    ]);
  });

  it.each([
    [
      "a JSON error",
      '{\n  "lockfileVersion": 1,\n  "workspaces": { "": {} },\n  "packages": {\n    "zod": ["zod@4.6.7" "", {}, "x"],\n  },\n}\n',
      5,
    ],
    ["no lockfileVersion", '{ "workspaces": {}, "packages": {} }\n', 1],
    ["an unknown lockfileVersion", '{ "lockfileVersion": 9, "workspaces": {}, "packages": {} }\n', 1],
    ["no packages", '{ "lockfileVersion": 1, "workspaces": { "": {} } }\n', 1],
    [
      "an entry that is not an array",
      '{\n  "lockfileVersion": 1,\n  "workspaces": { "": {} },\n  "packages": {\n    "zod": "zod@4.6.7",\n  },\n}\n',
      5,
    ],
    [
      "an npm entry without its registry and info",
      '{\n  "lockfileVersion": 1,\n  "workspaces": { "": {} },\n  "packages": {\n    "zod": ["zod@4.6.7"],\n  },\n}\n',
      5,
    ],
  ])("is a located parse error, never a pinned project: %s", async (_, text, line) => {
    const root = await project({
      "package.json": '{"name":"p","dependencies":{"zod":"4.6.7"}}',
      "bun.lock": text,
    });
    const r = await lockFindings(root);
    expect(r.errors).toEqual([expect.objectContaining({ file: "bun.lock", kind: "parse", line })]);
    expect(r.findings).toEqual([]);
  });
});

describe("bun.lockb", () => {
  it("is named as unreadable when it is the only lockfile, and left aside for bun.lock", async () => {
    const binary = "\u0000bun-lockfile-format-v0\n";
    const only = await project({
      "package.json": '{"name":"p","dependencies":{"zod":"4.6.7"}}',
      "bun.lockb": binary,
    });
    expect((await lockFindings(only)).messages).toEqual([
      "no lockfile the scan can read: bun.lockb is Bun's binary lockfile, which the scan cannot read: `bun install --save-text-lockfile` writes bun.lock",
    ]);
    const both = await fixtureProject("lockfiles/bun", { "bun.lockb": binary });
    const r = await lockFindings(both);
    expect(r.errors).toEqual([]);
    expect(r.findings).toEqual([]);
  });
});
