// pnpm-lock.yaml (6.x and 9.x): it pins a project like package-lock.json does, and the same rules read it.

import { afterAll, describe, expect, it } from "vitest";
import { scan } from "../../src/scan/index.js";
import { readPnpmLock } from "../../src/scan/lockfiles/pnpm.js";
import { cleanupProjects, fixtureProject, lockFindings, project, swap } from "./helpers.js";

afterAll(cleanupProjects);

const lockRules = new Set([
  "npm-lockfile-missing",
  "npm-lockfile-out-of-sync",
  "npm-missing-integrity",
  "npm-untrusted-registry",
  "npm-install-script",
]);
const found = (root: string) => lockFindings(root);

/** A pnpm 9 lockfile of a project whose one dependency is zod 4.6.7. */
const ZOD_ONLY = [
  "lockfileVersion: '9.0'",
  "",
  "importers:",
  "",
  "  .:",
  "    dependencies:",
  "      zod:",
  "        specifier: 4.6.7",
  "        version: 4.6.7",
  "",
  "packages:",
  "",
  "  zod@4.6.7:",
  "    resolution: {integrity: sha512-g8W2D2kU6a8untc053fX1uVBKzM7yqAxW/3zwk83+6RyF2+SKOuV+c0wBDhUwzV1PaGapmZH+rmcUzPf+3CGwg==}",
  "",
].join("\n");

describe("pnpm-lock.yaml 9.x", () => {
  it("pins a project whose package.json agrees with it: no finding", async () => {
    const r = await found(await fixtureProject("lockfiles/pnpm-v9"));
    expect(r.errors).toEqual([]);
    expect(r.report.findings).toEqual([]);
  });

  it("is out of sync when package.json changed a version, added or removed a dependency", async () => {
    const changed = await fixtureProject("lockfiles/pnpm-v9", {
      "package.json": (t) =>
        swap('"zod": "4.6.7"', '"zod": "4.6.8"')(swap('"debug": "4.4.3",\n', '"openai": "5.23.2",\n')(t)),
    });
    const r = await found(changed);
    expect(r.errors).toEqual([]);
    expect(r.findings).toEqual([
      "npm-lockfile-out-of-sync pnpm-lock.yaml:9 openai",
      "npm-lockfile-out-of-sync pnpm-lock.yaml:9 zod",
      "npm-lockfile-out-of-sync pnpm-lock.yaml:9 debug",
    ]);
    const messages = r.report.findings.map((f) => f.message);
    expect(messages).toContain('dependencies.zod is "4.6.8" but the lockfile has "4.6.7"');
    expect(messages).toContain("the lockfile still lists dependencies.debug");
  });

  it("flags a locked package without an integrity hash, at its entry", async () => {
    const root = await fixtureProject("lockfiles/pnpm-v9", {
      "pnpm-lock.yaml": swap(
        "  ms@2.1.3:\n    resolution: {integrity: sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==}",
        "  ms@2.1.3:\n    resolution: {tarball: https://registry.npmjs.org/ms/-/ms-2.1.3.tgz}",
      ),
    });
    expect((await found(root)).findings).toEqual(["npm-missing-integrity pnpm-lock.yaml:57 ms"]);
  });

  it("flags a tarball or git repository outside the configured registry, and takes .npmrc's registry", async () => {
    const lock = (resolution: string) =>
      swap(
        "    resolution: {integrity: sha512-g8W2D2kU6a8untc053fX1uVBKzM7yqAxW/3zwk83+6RyF2+SKOuV+c0wBDhUwzV1PaGapmZH+rmcUzPf+3CGwg==}",
        `    resolution: ${resolution}`,
      );
    const mirror =
      "{integrity: sha512-g8W2D2kU6a8untc053fX1uVBKzM7yqAxW/3zwk83+6RyF2+SKOuV+c0wBDhUwzV1PaGapmZH+rmcUzPf+3CGwg==, tarball: https://npm.mirror.example/zod/-/zod-4.6.7.tgz}";
    const onMirror = await fixtureProject("lockfiles/pnpm-v9", { "pnpm-lock.yaml": lock(mirror) });
    const r = await found(onMirror);
    expect(r.findings).toEqual(["npm-untrusted-registry pnpm-lock.yaml:77 zod"]);
    expect(r.report.findings[0]?.message).toBe(
      "zod@4.6.7 is resolved from https://npm.mirror.example/zod/-/zod-4.6.7.tgz, not from https://registry.npmjs.org/",
    );
    const configured = await fixtureProject("lockfiles/pnpm-v9", {
      "pnpm-lock.yaml": lock(mirror),
      ".npmrc": "registry=https://npm.mirror.example/\n",
    });
    expect((await found(configured)).findings).toEqual([]);

    // A git dependency is pinned by its full commit, but it is not the registry.
    const commit = "4c3d5e8d2f0f4b7e9a1c2b3d4e5f60718293a4b5";
    const git = await fixtureProject("lockfiles/pnpm-v9", {
      "pnpm-lock.yaml": lock(`{commit: ${commit}, repo: https://github.com/colinhacks/zod.git, type: git}`),
    });
    expect((await found(git)).findings).toEqual(["npm-untrusted-registry pnpm-lock.yaml:77 zod"]);
    const branch = await fixtureProject("lockfiles/pnpm-v9", {
      "pnpm-lock.yaml": lock("{commit: main, repo: https://github.com/colinhacks/zod.git, type: git}"),
    });
    expect((await found(branch)).findings).toEqual([
      "npm-missing-integrity pnpm-lock.yaml:77 zod",
      "npm-untrusted-registry pnpm-lock.yaml:77 zod",
    ]);
    const codeload = await fixtureProject("lockfiles/pnpm-v9", {
      "pnpm-lock.yaml": lock(`{tarball: https://codeload.github.com/colinhacks/zod/tar.gz/${commit}}`),
    });
    expect((await found(codeload)).findings).toEqual(["npm-untrusted-registry pnpm-lock.yaml:77 zod"]);
  });

  it("does not check the project's own folders (file:, link:, directories)", async () => {
    const root = await fixtureProject("lockfiles/pnpm-v9", {
      "pnpm-lock.yaml": swap(
        "  zod@4.6.7:\n    resolution: {integrity: sha512-g8W2D2kU6a8untc053fX1uVBKzM7yqAxW/3zwk83+6RyF2+SKOuV+c0wBDhUwzV1PaGapmZH+rmcUzPf+3CGwg==}",
        "  zod@4.6.7:\n    resolution: {integrity: sha512-g8W2D2kU6a8untc053fX1uVBKzM7yqAxW/3zwk83+6RyF2+SKOuV+c0wBDhUwzV1PaGapmZH+rmcUzPf+3CGwg==}\n\n  local-tools@file:vendor/local-tools:\n    resolution: {directory: vendor/local-tools, type: directory}\n    version: 0.0.1\n\n  packed@file:vendor/packed-1.0.0.tgz:\n    resolution: {tarball: file:vendor/packed-1.0.0.tgz}\n    version: 1.0.0",
      ),
    });
    expect((await found(root)).findings).toEqual([]);
  });

  it("reads pnpm 11's two documents: pnpm's own install first, the project's last", async () => {
    const env = [
      "---",
      "lockfileVersion: '9.0'",
      "",
      "importers:",
      "",
      "  .:",
      "    configDependencies: {}",
      "    packageManagerDependencies:",
      "      pnpm:",
      "        specifier: 11.0.0",
      "        version: 11.0.0",
      "",
      "packages:",
      "",
      "  pnpm@11.0.0:",
      "    resolution: {integrity: sha512-qcJu88Q2IWqJsDD529JKMdwGm/dvInW4HvQnRwiH9JtihJvzGOscDtHE3x1pBKeUOTysQ8kVmLnJ2kJu7yhcGA==}",
      "    hasBin: true",
      "",
      "snapshots:",
      "",
      "  pnpm@11.0.0: {}",
      "",
      "---",
      "",
    ].join("\n");
    const root = await fixtureProject("lockfiles/pnpm-v9", { "pnpm-lock.yaml": (t) => env + t });
    const r = await found(root);
    expect(r.errors).toEqual([]);
    expect(r.findings).toEqual([]);
    const lock = await readPnpmLock(
      "pnpm-lock.yaml",
      `${env}lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      zod:\n        specifier: 4.6.7\n        version: 4.6.7\npackages:\n  zod@4.6.7:\n    resolution: {}\n`,
    );
    expect(lock.ok && [...lock.lock.importers!.keys()]).toEqual(["."]);
    expect(lock.ok && lock.lock.packages.map((p) => `${p.name}@${p.version}:${p.pin ?? "-"}`)).toEqual([
      expect.stringMatching(/^pnpm@11\.0\.0:sha512-/),
      "zod@4.6.7:-",
    ]);
  });
});

describe("pnpm-lock.yaml beside other lockfiles and settings", () => {
  it("expects no link: dependency in the importers with excludeLinksFromLockfile", async () => {
    const manifest = swap('"zod": "4.6.7"', '"zod": "4.6.7",\n    "shared": "link:../shared"');
    const linked = await fixtureProject("lockfiles/pnpm-v9", { "package.json": manifest });
    expect((await found(linked)).findings).toEqual(["npm-lockfile-out-of-sync pnpm-lock.yaml:9 shared"]);
    const excluded = await fixtureProject("lockfiles/pnpm-v9", {
      "package.json": manifest,
      "pnpm-lock.yaml": swap("excludeLinksFromLockfile: false", "excludeLinksFromLockfile: true"),
    });
    expect((await found(excluded)).findings).toEqual([]);
  });

  it("checks every lockfile in the folder: a stale pnpm-lock.yaml beside package-lock.json is reported", async () => {
    const manifest = JSON.stringify({
      name: "p",
      version: "1.0.0",
      dependencies: { zod: "4.6.7", yaml: "2.9.1" },
    });
    const npmLock = JSON.stringify({
      name: "p",
      version: "1.0.0",
      lockfileVersion: 3,
      packages: {
        "": { name: "p", version: "1.0.0", dependencies: { zod: "4.6.7", yaml: "2.9.1" } },
        "node_modules/yaml": {
          version: "2.9.1",
          integrity:
            "sha512-3NxN8+78OdzbT7C/WjGsyfPAtJaN3FNDsWxv7Y7mcDsT/oOmgW8BpyQQFFBnvZE3j9Y2Sdz1ULFLezL7Eb2yFw==",
        },
        "node_modules/zod": {
          version: "4.6.7",
          integrity:
            "sha512-g8W2D2kU6a8untc053fX1uVBKzM7yqAxW/3zwk83+6RyF2+SKOuV+c0wBDhUwzV1PaGapmZH+rmcUzPf+3CGwg==",
        },
      },
    });
    const root = await project({
      "package.json": manifest,
      "package-lock.json": npmLock,
      "pnpm-lock.yaml": ZOD_ONLY,
    });
    expect((await found(root)).findings).toEqual(["npm-lockfile-out-of-sync pnpm-lock.yaml:5 yaml"]);
  });
});

describe("pnpm-lock.yaml and packages named like Object's own properties", () => {
  it("compares a dependency named constructor as any other", async () => {
    const root = await project({
      "package.json": '{"name":"p","dependencies":{"zod":"4.6.7","constructor":"1.0.0"}}',
      "pnpm-lock.yaml": ZOD_ONLY,
    });
    const r = await found(root);
    expect(r.findings).toEqual(["npm-lockfile-out-of-sync pnpm-lock.yaml:5 constructor"]);
    expect(r.messages).toEqual(["dependencies.constructor is not in the lockfile"]);
  });
});

describe("pnpm-lock.yaml 6.x", () => {
  it("pins a single project, whose sections are at the top level", async () => {
    const r = await found(await fixtureProject("lockfiles/pnpm-v6"));
    expect(r.errors).toEqual([]);
    expect(r.report.findings).toEqual([]);
    // pnpm.onlyBuiltDependencies approves esbuild's script, and pnpm runs no other package's.
    expect(r.report.installScripts).toEqual([
      { name: "@esbuild/darwin-arm64", version: "0.28.2", lockfile: "pnpm-lock.yaml", allowed: false },
      { name: "@esbuild/linux-x64", version: "0.28.2", lockfile: "pnpm-lock.yaml", allowed: false },
      { name: "esbuild", version: "0.28.2", lockfile: "pnpm-lock.yaml", allowed: true },
    ]);
  });

  it("flags install scripts (requiresBuild) that package.json does not decide on", async () => {
    const root = await fixtureProject("lockfiles/pnpm-v6", {
      "package.json": swap(
        '"pnpm": {\n    "onlyBuiltDependencies": [\n      "esbuild"\n    ]\n  }',
        '"allowScripts": { "@esbuild/linux-x64": true }',
      ),
    });
    expect((await found(root)).findings).toEqual([
      "npm-install-script pnpm-lock.yaml:22 @esbuild/darwin-arm64",
      "npm-install-script pnpm-lock.yaml:52 esbuild",
    ]);
  });

  it("is out of sync when a specifier changed", async () => {
    const root = await fixtureProject("lockfiles/pnpm-v6", {
      "package.json": swap('"esbuild": "0.28.2"', '"esbuild": "^0.28.2"'),
    });
    const r = await found(root);
    expect(r.findings).toEqual(["npm-lockfile-out-of-sync pnpm-lock.yaml:7 esbuild"]);
    expect(r.report.findings.find((f) => f.ruleId === "npm-lockfile-out-of-sync")?.message).toBe(
      'devDependencies.esbuild is "^0.28.2" but the lockfile has "0.28.2"',
    );
  });
});

describe("a pnpm workspace", () => {
  it("checks each member against its importer in the root's lockfile", async () => {
    const r = await found(await fixtureProject("lockfiles/pnpm-workspace"));
    expect(r.errors).toEqual([]);
    expect(r.findings).toEqual([]);
    const drifted = await fixtureProject("lockfiles/pnpm-workspace", {
      "packages/tools/package.json": swap('"yaml": "2.9.1"', '"yaml": "2.9.2"'),
    });
    expect((await found(drifted)).findings).toEqual(["npm-lockfile-out-of-sync pnpm-lock.yaml:24 yaml"]);
    const message = (await scan({ root: drifted })).findings.find((f) => f.package === "yaml")?.message;
    expect(message).toBe('packages/tools: dependencies.yaml is "2.9.2" but the lockfile has "2.9.1"');
  });

  it("reports a project below the root that the lockfile does not record as having no lockfile", async () => {
    const root = await fixtureProject("lockfiles/pnpm-workspace", {
      "examples/demo/package.json": '{"name":"demo","dependencies":{"zod":"4.6.7"}}',
    });
    const r = await found(root);
    expect(r.findings).toEqual(["npm-lockfile-missing examples/demo/package.json:1"]);
    expect(r.report.findings.find((f) => f.ruleId === "npm-lockfile-missing")?.message).toBe(
      "no lockfile records this project: pnpm-lock.yaml above records no project at examples/demo",
    );
  });

  it("checks members whose package.json the scan does not look at itself, and a recorded one that is gone", async () => {
    const root = await fixtureProject("lockfiles/pnpm-workspace", {
      "packages/tools/package.json": swap('"yaml": "2.9.1"', '"yaml": "2.9.2"'),
      "packages/agent/package.json": null,
    });
    const report = await scan({ root, exclude: ["packages/tools/**"] });
    expect(report.findings.filter((f) => lockRules.has(f.ruleId)).map((f) => f.message)).toEqual([
      "the lockfile records the project packages/agent, which has no package.json",
    ]);
    // Not excluded, not scanned on its own (--changed-since did not list it): the root's lockfile checks it.
    const { execFileSync } = await import("node:child_process");
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: root });
    git("init", "-q");
    git("add", ".");
    git("commit", "-q", "-m", "base");
    execFileSync("sh", ["-c", "printf '\\n' >> pnpm-lock.yaml"], { cwd: root });
    const changed = await scan({ root, changedSince: "HEAD" });
    expect(changed.findings.filter((f) => lockRules.has(f.ruleId)).map((f) => f.message)).toEqual([
      "the lockfile records the project packages/agent, which has no package.json",
      'packages/tools: dependencies.yaml is "2.9.2" but the lockfile has "2.9.1"',
    ]);
  });
});

describe("a pnpm-lock.yaml that cannot be read", () => {
  it.each([
    ["a YAML syntax error", "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies: {zod: [\n", 5],
    ["an unsupported lockfileVersion", "lockfileVersion: 5.4\n\nspecifiers:\n  zod: 4.6.7\n", 1],
    ["no lockfileVersion", "importers: {}\n", 1],
    ["an empty file", "", 1],
    [
      "a package without a resolution",
      "lockfileVersion: '9.0'\npackages:\n  zod@4.6.7:\n    engines: {}\n",
      3,
    ],
    [
      "an importer entry without a specifier",
      "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      zod: 4.6.7\n",
      3,
    ],
  ])("is a located parse error, never a pinned project: %s", async (_, text, line) => {
    const root = await project({
      "package.json": '{"name":"p","dependencies":{"zod":"4.6.7"}}',
      "pnpm-lock.yaml": text,
    });
    const report = await scan({ root });
    expect(report.errors).toEqual([expect.objectContaining({ file: "pnpm-lock.yaml", kind: "parse", line })]);
    expect(report.findings).toEqual([]);
  });

  it("says which versions are read", () => {
    const r = readPnpmLock("pnpm-lock.yaml", "lockfileVersion: 5.4\n");
    expect(!r.ok && r.error.message).toMatch(/lockfileVersion 5\.4 is not read: .*6\.x.*9\.x/);
  });

  it("refuses an alias bomb instead of expanding it", async () => {
    const bomb = [
      "lockfileVersion: '9.0'",
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
      "importers:",
      "  .: {dependencies: {zod: {specifier: 4.6.7, version: *d}}}",
      "",
    ].join("\n");
    const root = await project({
      "package.json": '{"name":"p","dependencies":{"zod":"4.6.7"}}',
      "pnpm-lock.yaml": bomb,
    });
    const report = await scan({ root });
    expect(report.errors).toEqual([expect.objectContaining({ file: "pnpm-lock.yaml", kind: "parse" })]);
  });
});
