// Python lockfiles: uv.lock and poetry.lock hashes, Pipfile against Pipfile.lock, and lockfiles that cannot be read.

import { afterAll, describe, expect, it } from "vitest";
import { classify } from "../../src/scan/files.js";
import { scan } from "../../src/scan/index.js";
import { cleanupProjects, FIXTURES, fixtureProject, project, swap } from "./helpers.js";

afterAll(cleanupProjects);

const PY_RULES = new Set(["py-lockfile-missing", "py-lockfile-out-of-sync", "py-missing-hash"]);
const found = async (root: string) => {
  const report = await scan({ root });
  const findings = report.findings.filter((f) => PY_RULES.has(f.ruleId));
  return {
    errors: report.errors,
    findings: findings.map((f) => `${f.ruleId} ${f.file}:${f.line} ${f.package ?? ""}`.trim()),
    messages: findings.map((f) => f.message),
  };
};

const PYPROJECT = '[project]\nname = "agent"\nversion = "0.1.0"\ndependencies = ["requests==2.32.3"]\n';
const COMMIT = "9f2c41d07be3a8e6a1f5c0d4b2e7a3c6d8f1e0b9";
const REQUESTS_UV = [
  "[[package]]",
  'name = "requests"',
  'version = "2.32.3"',
  'source = { registry = "https://pypi.org/simple" }',
  'sdist = { url = "https://files.pythonhosted.org/packages/63/70/2bf7780ad2d390a8d301ad0b550f1581eadbd9a20f896afe06353c2a2913/requests-2.32.3.tar.gz", hash = "sha256:55365417734eb18255590a9ff9eb97e9e1da868d4ccd6402399eaf68af20a760", size = 131218 }',
  "",
].join("\n");
const uvLock = (...packages: string[]) =>
  [
    "version = 1",
    "revision = 2",
    'requires-python = ">=3.12"',
    "",
    "[[package]]",
    'name = "agent"',
    'version = "0.1.0"',
    'source = { editable = "." }',
    'dependencies = [{ name = "requests" }]',
    "",
    "[package.metadata]",
    'requires-dist = [{ name = "requests", specifier = "==2.32.3" }]',
    "",
    ...packages,
  ].join("\n");

describe("uv.lock hashes", () => {
  it("needs a hash on the sdist or a wheel of each registry or URL package; git and local sources are pinned otherwise", async () => {
    const root = await project({
      "pyproject.toml": PYPROJECT,
      "uv.lock": uvLock(
        REQUESTS_UV,
        '[[package]]\nname = "certifi"\nversion = "2025.8.3"\nsource = { registry = "https://pypi.org/simple" }\nsdist = { url = "https://files.pythonhosted.org/packages/certifi-2025.8.3.tar.gz", size = 162386 }\n',
        `[[package]]\nname = "agent-kit"\nversion = "1.2.0"\nsource = { git = "https://github.com/acme/agent-kit?rev=v1.2.0#${COMMIT}" }\n`,
        '[[package]]\nname = "vendored"\nversion = "0.3.0"\nsource = { path = "vendor/vendored-0.3.0-py3-none-any.whl" }\n',
        '[[package]]\nname = "tools"\nversion = "0.1.0"\nsource = { directory = "libs/tools" }\n',
        '[[package]]\nname = "nightly"\nversion = "0.9.0"\nsource = { url = "https://downloads.example.com/nightly-0.9.0.tar.gz" }\n',
      ),
    });
    const r = await found(root);
    expect(r.errors).toEqual([]);
    expect(r.findings).toEqual(["py-missing-hash uv.lock:21 certifi", "py-missing-hash uv.lock:42 nightly"]);
    expect(r.messages[0]).toBe("certifi 2025.8.3 is locked without a hash");
  });

  it("leaves the clean fixture's uv.lock, hashed as uv writes it, alone", async () => {
    expect((await found(`${FIXTURES}/clean`)).findings).toEqual([]);
  });
});

describe("poetry.lock hashes", () => {
  const poetry = (packages: string, metadata = "") =>
    `${packages}\n[metadata]\nlock-version = "2.1"\npython-versions = "^3.12"\ncontent-hash = "0d9e1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f"\n${metadata}`;
  const POETRY_PYPROJECT =
    '[tool.poetry]\nname = "agent"\nversion = "0.1.0"\n\n[tool.poetry.dependencies]\npython = "^3.12"\nrequests = "2.32.3"\nagent-kit = { git = "https://github.com/acme/agent-kit.git", tag = "v1.2.0" }\n';

  it("needs files with hashes for PyPI, private-index and URL packages (2.x: on each package)", async () => {
    const packages = [
      '[[package]]\nname = "requests"\nversion = "2.32.3"\ndescription = "Python HTTP for Humans."\noptional = false\npython-versions = ">=3.8"\ngroups = ["main"]\nfiles = [\n    {file = "requests-2.32.3.tar.gz", hash = "sha256:55365417734eb18255590a9ff9eb97e9e1da868d4ccd6402399eaf68af20a760"},\n]\n',
      `[[package]]\nname = "agent-kit"\nversion = "1.2.0"\ndescription = ""\noptional = false\npython-versions = ">=3.10"\ngroups = ["main"]\nfiles = []\n\n[package.source]\ntype = "git"\nurl = "https://github.com/acme/agent-kit.git"\nreference = "v1.2.0"\nresolved_reference = "${COMMIT}"\n`,
      '[[package]]\nname = "internal-sdk"\nversion = "3.1.0"\ndescription = ""\noptional = false\npython-versions = ">=3.9"\ngroups = ["main"]\nfiles = []\n\n[package.source]\ntype = "legacy"\nurl = "https://pypi.corp.example/simple"\nreference = "corp"\n',
    ].join("\n");
    const root = await project({ "pyproject.toml": POETRY_PYPROJECT, "poetry.lock": poetry(packages) });
    const r = await found(root);
    expect(r.errors).toEqual([]);
    expect(r.findings).toEqual(["py-missing-hash poetry.lock:28 internal-sdk"]);
  });

  it("reads 1.x hashes from [metadata.files]", async () => {
    const pkg =
      '[[package]]\nname = "requests"\nversion = "2.32.3"\ndescription = "Python HTTP for Humans."\ncategory = "main"\noptional = false\npython-versions = ">=3.8"\n';
    const lock = (files: string) =>
      `${pkg}\n[metadata]\nlock-version = "1.1"\npython-versions = "^3.12"\ncontent-hash = "0d9e1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f"\n\n[metadata.files]\nrequests = [\n${files}]\n`;
    const pyproject =
      '[tool.poetry]\nname = "agent"\nversion = "0.1.0"\n\n[tool.poetry.dependencies]\nrequests = "2.32.3"\n';
    const hashed = await project({
      "pyproject.toml": pyproject,
      "poetry.lock": lock(
        '    {file = "requests-2.32.3.tar.gz", hash = "sha256:55365417734eb18255590a9ff9eb97e9e1da868d4ccd6402399eaf68af20a760"},\n',
      ),
    });
    expect((await found(hashed)).findings).toEqual([]);
    const bare = await project({ "pyproject.toml": pyproject, "poetry.lock": lock("") });
    expect((await found(bare)).findings).toEqual(["py-missing-hash poetry.lock:2 requests"]);
  });
});

describe("Pipfile and Pipfile.lock", () => {
  it("is pinned when each Pipfile package is locked in its section, with hashes", async () => {
    const r = await found(await fixtureProject("lockfiles/pipenv"));
    expect(r.errors).toEqual([]);
    expect(r.findings).toEqual([]);
  });

  it("needs a Pipfile.lock when the Pipfile declares packages", async () => {
    const r = await found(await fixtureProject("lockfiles/pipenv", { "Pipfile.lock": null }));
    expect(r.findings).toEqual(["py-lockfile-missing Pipfile:1"]);
    expect(r.messages).toEqual(["3 packages declared but no Pipfile.lock next to it"]);
  });

  it("is out of sync when a package is not locked in its section (a category's is its own)", async () => {
    const root = await fixtureProject("lockfiles/pipenv", {
      Pipfile: (t) =>
        `${swap('pytest = "==8.3.4"', 'pytest = "==8.3.4"\nruff = "==0.6.9"')(t)}\n[docs]\nmkdocs = "==1.6.1"\n`,
    });
    const r = await found(root);
    expect(r.findings).toEqual([
      "py-lockfile-out-of-sync Pipfile:12 ruff",
      "py-lockfile-out-of-sync Pipfile:18 mkdocs",
    ]);
    expect(r.messages).toEqual([
      'ruff is declared but not in Pipfile.lock (section "develop")',
      'mkdocs is declared but not in Pipfile.lock (section "docs")',
    ]);
  });

  it("flags a locked entry without hashes; git, path and editable entries are pinned otherwise", async () => {
    const extra = `,\n        "agent-kit": {\n            "git": "https://github.com/acme/agent-kit.git",\n            "ref": "${COMMIT}"\n        },\n        "tools": {\n            "editable": true,\n            "path": "./libs/tools"\n        },\n        "certifi": {\n            "hashes": [],\n            "index": "pypi",\n            "version": "==2025.8.3"\n        }\n    },\n    "develop": {`;
    const root = await fixtureProject("lockfiles/pipenv", {
      "Pipfile.lock": swap(
        '            "version": "==2.32.3"\n        }\n    },\n    "develop": {',
        `            "version": "==2.32.3"\n        }${extra}`,
      ),
    });
    const r = await found(root);
    expect(r.errors).toEqual([]);
    expect(r.findings).toEqual(["py-missing-hash Pipfile.lock:45 certifi"]);
    expect(r.messages).toEqual(["certifi 2025.8.3 is locked without a hash"]);
  });

  it("is read by the scan whenever it changes (--changed-since)", () => {
    expect([classify("Pipfile"), classify("api/Pipfile.lock")]).toEqual([
      "python-manifest",
      "python-manifest",
    ]);
  });
});

describe("a Python lockfile that cannot be read", () => {
  it.each([
    ["uv.lock", "no version", 'requires-python = ">=3.12"\n', 1],
    ["uv.lock", "an unknown version", "version = 2\n", 1],
    ["uv.lock", "a TOML error", "version = 1\n[[package]\nname = 'x'\n", 2],
    ["uv.lock", "a package without a name", 'version = 1\n\n[[package]]\nversion = "1.0.0"\n', 1],
    ["poetry.lock", "no [metadata] lock-version", '[[package]]\nname = "requests"\nversion = "2.32.3"\n', 1],
    ["poetry.lock", "an unknown lock-version", '[metadata]\nlock-version = "3.0"\n', 1],
  ])(
    "%s with %s is a parse error, and pyproject.toml is neither pinned nor missing a lock",
    async (name, _, text, line) => {
      const root = await project({ "pyproject.toml": PYPROJECT, [name]: text });
      const r = await found(root);
      expect(r.errors).toEqual([expect.objectContaining({ file: name, kind: "parse", line })]);
      expect(r.findings).toEqual([]);
    },
  );

  it.each([
    ["a JSON error", '{\n    "_meta": {},\n    "default": {\n        "requests": {,\n    }\n}\n', 4],
    ["no _meta", '{\n    "default": {}\n}\n', 1],
    [
      "a section that is not an object of entries",
      '{\n    "_meta": {},\n    "default": ["requests"]\n}\n',
      1,
    ],
  ])("Pipfile.lock with %s is a parse error, and the Pipfile is not checked", async (_, text, line) => {
    const root = await fixtureProject("lockfiles/pipenv", { "Pipfile.lock": text });
    const r = await found(root);
    expect(r.errors).toEqual([expect.objectContaining({ file: "Pipfile.lock", kind: "parse", line })]);
    expect(r.findings).toEqual([]);
  });

  it("reports a Pipfile that is not TOML", async () => {
    const root = await fixtureProject("lockfiles/pipenv", { Pipfile: "[packages\nrequests = '*'\n" });
    expect((await found(root)).errors).toEqual([
      expect.objectContaining({ file: "Pipfile", kind: "parse", line: 1 }),
    ]);
  });
});
