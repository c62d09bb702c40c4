// yarn.lock, classic (v1) and Berry (2+): it pins a project like package-lock.json does, and the same rules read it.

import { afterAll, describe, expect, it } from "vitest";
import { readYarnBerryLock } from "../../src/scan/lockfiles/yarn-berry.js";
import { readYarnClassicLock } from "../../src/scan/lockfiles/yarn-classic.js";
import { cleanupProjects, fixtureProject, lockFindings, project, swap } from "./helpers.js";

afterAll(cleanupProjects);

const COMMIT = "9f2c41d07be3a8e6a1f5c0d4b2e7a3c6d8f1e0b9";

describe("Yarn classic yarn.lock", () => {
  it("pins a workspace whose package.json files it resolves; a sibling workspace needs no entry", async () => {
    const r = await lockFindings(await fixtureProject("lockfiles/yarn-classic"));
    expect(r.errors).toEqual([]);
    expect(r.report.findings).toEqual([]);
  });

  it("is out of sync when a package.json asks for a name@range it does not resolve", async () => {
    const root = await fixtureProject("lockfiles/yarn-classic", {
      "packages/bot/package.json": swap('"debug": "4.4.3"', '"debug": "4.4.1",\n    "zod": "4.6.7"'),
    });
    const r = await lockFindings(root);
    expect(r.findings).toEqual([
      "npm-lockfile-out-of-sync yarn.lock:1 debug",
      "npm-lockfile-out-of-sync yarn.lock:1 zod",
    ]);
    expect(r.messages).toEqual([
      "dependencies.debug@4.4.1 is not in the lockfile",
      "dependencies.zod@4.6.7 is not in the lockfile",
    ]);
  });

  it("takes registry.yarnpkg.com, Yarn's name for npm's registry, as the default registry; not as another one", async () => {
    const r = await lockFindings(
      await fixtureProject("lockfiles/yarn-classic", { ".npmrc": "registry=https://npm.corp.example/\n" }),
    );
    expect(r.findings).toEqual([
      "npm-untrusted-registry yarn.lock:5 debug",
      "npm-untrusted-registry yarn.lock:12 ms",
      "npm-untrusted-registry yarn.lock:17 typescript",
      "npm-untrusted-registry yarn.lock:22 yaml",
    ]);
    const mirror = await fixtureProject("lockfiles/yarn-classic", {
      "yarn.lock": swap("https://registry.yarnpkg.com/yaml/", "https://npm.mirror.example/yaml/"),
    });
    const m = await lockFindings(mirror);
    expect(m.findings).toEqual(["npm-untrusted-registry yarn.lock:22 yaml"]);
    expect(m.messages[0]).toBe(
      "yaml@2.9.1 is resolved from https://npm.mirror.example/yaml/-/yaml-2.9.1.tgz, not from https://registry.npmjs.org/",
    );
  });

  it("needs an integrity, or the tarball's #sha1 that Yarn checks without one", async () => {
    const noIntegrity = swap(
      "  integrity sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==\n",
      "",
    );
    const sha1Only = await fixtureProject("lockfiles/yarn-classic", { "yarn.lock": noIntegrity });
    expect((await lockFindings(sha1Only)).findings).toEqual([]);
    const nothing = await fixtureProject("lockfiles/yarn-classic", {
      "yarn.lock": (t) =>
        swap("ms-2.1.3.tgz#574c8138ce1d2b5861f0b44579dbadd60c6615b2", "ms-2.1.3.tgz")(noIntegrity(t)),
    });
    expect((await lockFindings(nothing)).findings).toEqual(["npm-missing-integrity yarn.lock:12 ms"]);
  });

  it("reads git, file: and link: entries: a git commit pins but is not the registry, the project's own files are not checked", async () => {
    const extra = [
      "",
      '"agent-kit@git+https://github.com/acme/agent-kit.git#v1.2.0":',
      '  version "1.2.0"',
      `  resolved "git+https://github.com/acme/agent-kit.git#${COMMIT}"`,
      "",
      '"unpinned-kit@https://github.com/acme/unpinned-kit.git#main":',
      '  version "0.4.0"',
      '  resolved "https://github.com/acme/unpinned-kit.git#main"',
      "",
      '"local-prompts@file:./vendor/local-prompts":',
      '  version "0.0.1"',
      "",
    ].join("\n");
    const root = await fixtureProject("lockfiles/yarn-classic", { "yarn.lock": (t) => t + extra });
    expect((await lockFindings(root)).findings).toEqual([
      "npm-untrusted-registry yarn.lock:27 agent-kit",
      "npm-missing-integrity yarn.lock:31 unpinned-kit",
      "npm-untrusted-registry yarn.lock:31 unpinned-kit",
    ]);
  });

  it.each([
    ["a string that does not close", 'ms@^2.1.3:\n  version "2.1.3\n', 2],
    ["an odd indentation", 'ms@^2.1.3:\n   version "2.1.3"\n', 2],
    ["a tab", 'ms@^2.1.3:\n\tversion "2.1.3"\n', 2],
    ["merge conflict markers", '<<<<<<< HEAD\nms@^2.1.3:\n  version "2.1.3"\n', 1],
    [
      "an entry without a version",
      'ms@^2.1.3:\n  resolved "https://registry.yarnpkg.com/ms/-/ms-2.1.3.tgz"\n',
      1,
    ],
    ["a key twice", 'ms@^2.1.3:\n  version "2.1.3"\n  version "2.1.4"\n', 3],
    ["a value outside any entry", 'version "2.1.3"\n', 1],
    ["a line that is neither `key value` nor `key:`", "ms@^2.1.3\n", 1],
  ])("is a located parse error, never a pinned project: %s", async (_, text, line) => {
    const root = await project({
      "package.json": '{"name":"p","dependencies":{"ms":"2.1.3"}}',
      "yarn.lock": `# yarn lockfile v1\n\n\n${text}`,
    });
    const r = await lockFindings(root);
    expect(r.errors).toEqual([expect.objectContaining({ file: "yarn.lock", kind: "parse", line: line + 3 })]);
    expect(r.findings).toEqual([]);
  });

  it("reads packages named like Object's own properties as plain names", async () => {
    const lock = `# yarn lockfile v1\n\n\nconstructor@1.0.0:\n  version "1.0.0"\n  resolved "https://registry.yarnpkg.com/constructor/-/constructor-1.0.0.tgz#${COMMIT}"\n  dependencies:\n    toString "1.0.0"\n\ntoString@1.0.0:\n  version "1.0.0"\n  resolved "https://registry.yarnpkg.com/toString/-/toString-1.0.0.tgz#${COMMIT}"\n`;
    const root = await project({
      "package.json": '{"name":"p","dependencies":{"constructor":"1.0.0"}}',
      "yarn.lock": lock,
    });
    const r = await lockFindings(root);
    expect(r.errors).toEqual([]);
    expect(r.findings).toEqual([]);
  });

  it("reads quoted keys, several patterns per entry and JSON escapes", () => {
    const r = readYarnClassicLock(
      "yarn.lock",
      '"@scope/a@^1.0.0", "@scope/a@~1.2.0", @scope/a@1.2.3:\n  version "1.2.3"\n  resolved "https://registry.yarnpkg.com/@scope/a/-/a-1.2.3.tgz"\n  integrity sha1-HgzRLGK855vBdZx+KBZGsIthyVk=\n  optional true\n  description "tab\\tand \\"quotes\\""\n',
    );
    expect(r.ok && [...r.lock.patterns]).toEqual(["@scope/a@^1.0.0", "@scope/a@~1.2.0", "@scope/a@1.2.3"]);
    expect(r.ok && r.lock.packages).toEqual([
      {
        name: "@scope/a",
        version: "1.2.3",
        at: { line: 1, column: 1 },
        source: { kind: "remote", url: "https://registry.yarnpkg.com/@scope/a/-/a-1.2.3.tgz" },
        pin: "sha1-HgzRLGK855vBdZx+KBZGsIthyVk=",
      },
    ]);
  });
});

describe("Yarn Berry yarn.lock", () => {
  it("pins a workspace; another platform's package needs no checksum, a patch: entry is its package's", async () => {
    const r = await lockFindings(await fixtureProject("lockfiles/yarn-berry"));
    expect(r.errors).toEqual([]);
    expect(r.report.findings).toEqual([]);
  });

  it("compares each workspace's merged dependencies with its package.json", async () => {
    const root = await fixtureProject("lockfiles/yarn-berry", {
      "package.json": swap('"zod": "4.6.7"', '"zod": "4.6.8"'),
      "packages/web-search/package.json": swap(
        '"dependencies": {\n    "yaml": "2.9.1"\n  }',
        '"dependencies": {}',
      ),
    });
    const r = await lockFindings(root);
    expect(r.findings).toEqual([
      "npm-lockfile-out-of-sync yarn.lock:22 yaml",
      "npm-lockfile-out-of-sync yarn.lock:66 zod",
    ]);
    expect(r.messages).toEqual([
      "packages/web-search: the lockfile still lists yaml",
      'dependencies.zod is "4.6.8" but the lockfile has "npm:4.6.7"',
    ]);
  });

  it("reads Yarn 2/3's bare ranges and checksums as well as Yarn 4's npm: prefix", async () => {
    const root = await fixtureProject("lockfiles/yarn-berry", {
      "yarn.lock": (t) =>
        t
          .replace("  version: 8\n  cacheKey: 10c0", "  version: 6\n  cacheKey: 8")
          .replace(/: "npm:(\d[^"]*)"/g, ": $1")
          .replace(/checksum: 10c0\//g, "checksum: "),
    });
    const r = await lockFindings(root);
    expect(r.errors).toEqual([]);
    expect(r.findings).toEqual([]);
  });

  it("flags a fetched package without a checksum, a tarball from elsewhere (__archiveUrl) and a git source", async () => {
    const root = await fixtureProject("lockfiles/yarn-berry", {
      "yarn.lock": (t) =>
        swap(
          '  resolution: "yaml@npm:2.9.1"',
          '  resolution: "yaml@npm:2.9.1::__archiveUrl=https%3A%2F%2Fnpm.pkg.example%2Fdownload%2Fyaml%2F2.9.1%2Fyaml-2.9.1.tgz"',
        )(t.replace(/( {2}resolution: "ms@npm:2\.1\.3"\n) {2}checksum: .*\n/, "$1")) +
        `\n"agent-kit@git+https://github.com/acme/agent-kit.git#v1.2.0":\n  version: 1.2.0\n  resolution: "agent-kit@git+https://github.com/acme/agent-kit.git#commit=${COMMIT}"\n  languageName: node\n  linkType: hard\n`,
    });
    const r = await lockFindings(root);
    expect(r.findings).toEqual([
      "npm-missing-integrity yarn.lock:59 ms",
      "npm-untrusted-registry yarn.lock:96 yaml",
      "npm-untrusted-registry yarn.lock:112 agent-kit",
    ]);
    expect(r.messages[1]).toBe(
      "yaml@2.9.1 is resolved from https://npm.pkg.example/download/yaml/2.9.1/yaml-2.9.1.tgz, not from https://registry.npmjs.org/",
    );
  });

  it("does not take a patch: entry whose patched locator does not decode for a registry package", () => {
    const r = readYarnBerryLock(
      "yarn.lock",
      '__metadata:\n  version: 8\n\n"zod@patch:zod@npm%3A4.6.7#./p.patch":\n  version: 4.6.7\n  resolution: "zod@patch:zod@npm%E0%A4%A#./p.patch::version=4.6.7"\n  checksum: 10c0/ab\n',
    );
    expect(r.ok && r.lock.packages[0]?.source).toEqual({
      kind: "remote",
      url: "patch:zod@npm%E0%A4%A#./p.patch",
    });
  });

  it("reports a project below the root that no workspace entry records", async () => {
    const root = await fixtureProject("lockfiles/yarn-berry", {
      "tools/eval/package.json": '{"name":"eval","dependencies":{"zod":"4.6.7"}}',
    });
    expect((await lockFindings(root)).messages).toEqual([
      "no lockfile records this project: yarn.lock above records no project at tools/eval",
    ]);
  });

  it.each([
    ["no __metadata.version", "__metadata:\n  cacheKey: 10c0\n", 1],
    ["an entry without a resolution", '__metadata:\n  version: 8\n\n"zod@npm:4.6.7":\n  version: 4.6.7\n', 4],
    ["a YAML error", '__metadata:\n  version: 8\n\n"zod@npm:4.6.7":\n  version: [4.6.7\n', 6],
  ])("is a located parse error, never a pinned project: %s", async (_, text, line) => {
    const root = await project({
      "package.json": '{"name":"p","dependencies":{"zod":"4.6.7"}}',
      "yarn.lock": text,
    });
    const r = await lockFindings(root);
    expect(r.errors).toEqual([expect.objectContaining({ file: "yarn.lock", kind: "parse", line })]);
    expect(r.findings).toEqual([]);
  });
});
