// npm: spec classification, lockfile sync, install-script approvals and the configured registry.

import { afterAll, describe, expect, it } from "vitest";
import { scan } from "../../src/scan/index.js";
import { classifySpec } from "../../src/scan/rules/npm-pinning.js";
import { cleanupProjects, project } from "./helpers.js";

afterAll(cleanupProjects);

const integrity =
  "sha512-C3/Sl4HE0DE5r64UWBljMTua5aFh14/Urc6o45gK7J8HWjEttJJP26M0bK2eSWcas2zpJZrJlcvwyIxR7YqSZA==";

const npmProject = (
  deps: Record<string, string>,
  locked: Record<string, string>,
  extra: object = {},
  node: object = {},
) => {
  const packages: Record<string, object> = { "": { name: "p", version: "1.0.0", dependencies: locked } };
  for (const [name, version] of Object.entries(locked)) {
    packages[`node_modules/${name}`] = { version, integrity, ...node };
  }
  return {
    "package.json": JSON.stringify({ name: "p", version: "1.0.0", dependencies: deps, ...extra }, null, 2),
    "package-lock.json": JSON.stringify(
      { name: "p", version: "1.0.0", lockfileVersion: 3, packages },
      null,
      2,
    ),
  };
};

const rules = async (files: Record<string, string>) =>
  (await scan({ root: await project(files) })).findings.map((f) => `${f.ruleId}:${f.package ?? ""}`);

describe("classifySpec", () => {
  it.each([
    ["1.2.3", "exact"],
    ["npm:other@1.2.3", "exact"],
    ["^1.2.3", "unpinned"],
    ["~1.2", "unpinned"],
    ["*", "unpinned"],
    ["", "unpinned"],
    ["latest", "unpinned"],
    ["next", "unpinned"],
    ["npm:other@^1", "unpinned"],
    ["github:user/repo", "non-registry"],
    ["git+https://github.com/u/r.git#abc", "non-registry"],
    ["https://example.com/x.tgz", "non-registry"],
    ["file:../x", "non-registry"],
    ["workspace:*", "non-registry"],
  ])("%j is %s", (spec, kind) => {
    expect(classifySpec("x", spec).kind).toBe(kind);
  });
});

describe("lockfile", () => {
  it("is in sync when package.json and the lock agree", async () => {
    expect(await rules(npmProject({ a: "1.0.0" }, { a: "1.0.0" }))).toEqual([]);
  });

  it("is out of sync when package.json changed a version, added or removed a dependency", async () => {
    expect(await rules(npmProject({ a: "1.0.1" }, { a: "1.0.0" }))).toEqual(["npm-lockfile-out-of-sync:a"]);
    expect(await rules(npmProject({ a: "1.0.0", b: "2.0.0" }, { a: "1.0.0" }))).toEqual([
      "npm-lockfile-out-of-sync:b",
    ]);
    expect(await rules(npmProject({}, { a: "1.0.0" }))).toEqual(["npm-lockfile-out-of-sync:a"]);
  });

  it("reads files that start with a UTF-8 byte-order mark, as Windows tools write them", async () => {
    const files = npmProject({ a: "1.0.0" }, { a: "1.0.0" });
    const bom = Object.fromEntries(Object.entries(files).map(([name, text]) => [name, `\ufeff${text}`]));
    const root = await project({
      ...bom,
      ".mcp.json": '\ufeff{"mcpServers":{"s":{"command":"npx","args":["srv"]}}}',
    });
    const report = await scan({ root });
    expect(report.errors).toEqual([]);
    expect(report.findings.map((f) => f.ruleId)).toEqual(["mcp-unpinned-server"]);
  });

  it("reports an unreadable lockfile as a parse error", async () => {
    const root = await project({
      "package.json": '{"name":"p","version":"1.0.0"}',
      "package-lock.json": '{"packages": ',
    });
    const report = await scan({ root });
    expect(report.errors[0]).toMatchObject({ file: "package-lock.json", kind: "parse" });
  });

  it("does not need a lockfile without dependencies, nor in a workspace member", async () => {
    expect(await rules({ "package.json": '{"name":"p","version":"1.0.0"}' })).toEqual([]);
    const files = {
      ...npmProject({ a: "1.0.0" }, { a: "1.0.0" }),
      "packages/m/package.json": '{"dependencies":{"a":"1.0.0"}}',
    };
    expect(await rules(files)).toEqual([]);
  });
});

describe("install scripts", () => {
  const node = { hasInstallScript: true };
  it.each([
    [{ allowScripts: { a: true } }, []],
    [{ allowScripts: { "a@1.0.0": true } }, []],
    [{ allowScripts: { a: false } }, []],
    [{ allowScripts: { "a@0.9.0": true } }, ["npm-install-script:a"]],
    [{}, ["npm-install-script:a"]],
  ])("with %j", async (extra, expected) => {
    expect(await rules(npmProject({ a: "1.0.0" }, { a: "1.0.0" }, extra, node))).toEqual(expected);
  });
});

describe("registry", () => {
  const node = { resolved: "https://npm.internal.example/a/-/a-1.0.0.tgz" };
  it("uses the project's .npmrc and the config's registry", async () => {
    const files = npmProject({ a: "1.0.0" }, { a: "1.0.0" }, {}, node);
    expect(await rules(files)).toEqual(["npm-untrusted-registry:a"]);
    expect(await rules({ ...files, ".npmrc": "registry=https://npm.internal.example/\n" })).toEqual([]);
    const cfg = "registry: https://npm.internal.example/\n";
    expect(await rules({ ...files, ".warden-scan.yaml": cfg })).toEqual([]);
  });

  it("uses scoped registries for scoped packages", async () => {
    const files = npmProject({ "@corp/a": "1.0.0" }, { "@corp/a": "1.0.0" }, {}, node);
    expect(await rules({ ...files, ".npmrc": "@corp:registry=https://npm.internal.example\n" })).toEqual([]);
  });

  it("accepts entries without `resolved` (npm's omit-lockfile-registry-resolved)", async () => {
    expect(await rules(npmProject({ a: "1.0.0" }, { a: "1.0.0" }))).toEqual([]);
  });
});

describe("another package manager's lockfile", () => {
  it("is read in the folder or at a workspace root above it; one that does not parse is an error", async () => {
    const root = await project({
      "package.json": '{"name":"r","dependencies":{"a":"1.0.0"}}',
      "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
      "packages/web/package.json": '{"name":"w","dependencies":{"b":"1.0.0"}}',
      "tools/package.json": '{"name":"t","dependencies":{"c":"1.0.0"}}',
      "tools/bun.lock": "{}\n",
      "cli/package.json": '{"name":"c","dependencies":{"d":"1.0.0"}}',
      "cli/bun.lockb": "\u0000",
    });
    const report = await scan({ root });
    expect(report.findings.map((f) => `${f.ruleId} ${f.file}: ${f.message}`)).toEqual([
      "npm-lockfile-missing cli/package.json: no lockfile the scan can read: cli/bun.lockb is Bun's binary lockfile, which the scan cannot read: `bun install --save-text-lockfile` writes bun.lock",
      "npm-lockfile-missing packages/web/package.json: no lockfile records this project: pnpm-lock.yaml above records no project at packages/web",
      "npm-lockfile-out-of-sync pnpm-lock.yaml: dependencies.a is not in the lockfile",
    ]);
    expect(report.errors).toEqual([
      expect.objectContaining({
        file: "tools/bun.lock",
        kind: "parse",
        message: "not a bun.lock: no lockfileVersion",
      }),
    ]);
  });

  it("is looked for when there is none: the message names the lockfiles read", async () => {
    const root = await project({ "package.json": '{"name":"r","dependencies":{"a":"1.0.0"}}' });
    expect((await scan({ root })).findings.map((f) => f.message)).toEqual([
      "no lockfile (package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml, yarn.lock or bun.lock) here or in a folder above",
    ]);
  });
});
