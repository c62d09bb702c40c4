// Property tests: random input never crashes a parser-facing part of the scanner.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/scan/config.js";
import { ScanError } from "../../src/scan/errors.js";
import { readBunLock } from "../../src/scan/lockfiles/bun.js";
import { readPnpmLock } from "../../src/scan/lockfiles/pnpm.js";
import { readYarnBerryLock } from "../../src/scan/lockfiles/yarn-berry.js";
import { readYarnClassicLock } from "../../src/scan/lockfiles/yarn-classic.js";
import { readMcpConfig } from "../../src/scan/mcp/config-read.js";
import { readPipfileLock, readPoetryLock, readUvLock } from "../../src/scan/python/locks.js";
import { scanJsFile } from "../../src/scan/rules/code-rules.js";
import { scanPythonFile } from "../../src/scan/rules/python-code.js";
import { checkRequirements } from "../../src/scan/rules/python-pinning.js";
import { checkToolDescription } from "../../src/tool-poisoning.js";

const JS_TOKENS = [
  "import { exec } from 'child_process';",
  "exec(",
  "eval(",
  "new Function(",
  "tool({ execute: async (a) => {",
  "fetch(a.url)",
  "require('fs').writeFileSync(a.p)",
  "session.guard('x', ",
  "`${",
  "}",
  ")",
  "{",
  "(",
  ";",
  "=>",
  "const x = ",
  "class A extends StructuredTool {",
  "@guarded('t')",
  "/*",
  "*/",
  "//",
  "\n",
  "'",
  '"',
  "<div>",
  "</div>",
];
const PY_TOKENS = [
  "import subprocess\n",
  "subprocess.run(",
  "shell=True",
  "eval(",
  "os.system(",
  "f'{x}'",
  "def f(",
  ":",
  "\n",
  "    ",
  ")",
  "'",
  '"',
];

const LOCK_TOKENS = [
  "lockfileVersion: '9.0'\n",
  "lockfileVersion: '6.0'\n",
  "importers:\n",
  "  .:\n",
  "    dependencies:\n",
  "      a:\n",
  "        specifier: 1.0.0\n",
  "packages:\n",
  "  a@1.0.0:\n",
  "  /a@1.0.0(b@2.0.0):\n",
  "    resolution: {integrity: sha512-x, tarball: https://x/a.tgz}\n",
  "    resolution: {type: git, repo: r, commit: c}\n",
  "    requiresBuild: true\n",
  "---\n",
  "__metadata:\n  version: 8\n",
  '"a@npm:^1, a@npm:1":\n',
  '  resolution: "a@npm:1.0.0::__archiveUrl=https%3A%2F%2Fx"\n',
  '  resolution: "a@patch:a@npm%3A1.0.0#x"\n',
  '  resolution: "a@patch:a@npm%E0%A4%A#x"\n',
  '"w@workspace:.":\n  resolution: "w@workspace:."\n  dependencies:\n    a: "npm:1"\n',
  "  checksum: 10c0/ab\n",
  "  conditions: os=darwin\n",
  "a@^1, a@~1:\n",
  '  version "1.0.0"\n',
  '  resolved "https://registry.yarnpkg.com/a/-/a-1.0.0.tgz#0123456789012345678901234567890123456789"\n',
  "  integrity sha512-x\n",
  '{"lockfileVersion": 1, "workspaces": {"": {"dependencies": {"a": "1"}}}, "packages": {',
  '"a": ["a@1.0.0", "", {}, "sha512-x"]',
  '"g": ["g@github:o/r#x", {}, "o-r-x"]',
  "version = 1\n",
  "[[package]]\n",
  'name = "a"\n',
  'source = { registry = "https://pypi.org/simple" }\n',
  '[metadata]\nlock-version = "2.1"\n',
  '{"_meta": {}, "default": {"a": {"hashes": [], "version": "==1"}}}',
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  "\n",
  "  ",
  "\t",
  '"',
  "&a",
  "*a",
];

const soup = (tokens: string[]) =>
  fc.oneof(
    fc.string({ unit: "grapheme", maxLength: 300 }),
    fc.array(fc.constantFrom(...tokens), { maxLength: 60 }).map((t) => t.join(" ")),
  );

describe("never crashes on random input", () => {
  it("JS/TS code rules", () => {
    fc.assert(
      fc.property(soup(JS_TOKENS), fc.constantFrom("a.ts", "a.js", "a.tsx", "a.mjs"), (src, file) => {
        const r = scanJsFile(file, src);
        for (const e of [...r.findings, ...r.errors]) expect(e.line).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it("Python code rules", async () => {
    await fc.assert(
      fc.asyncProperty(soup(PY_TOKENS), async (src) => {
        const r = await scanPythonFile("a.py", src);
        for (const e of [...r.findings, ...r.errors]) expect(e.line).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });

  it("lockfile readers: a located error or a lockfile, never a throw", () => {
    const readers = [
      readPnpmLock,
      readYarnClassicLock,
      readYarnBerryLock,
      readBunLock,
      readUvLock,
      readPoetryLock,
      readPipfileLock,
    ];
    fc.assert(
      fc.property(soup(LOCK_TOKENS), fc.constantFrom(...readers), (text, read) => {
        const r = read("lockfile", text);
        if (!r.ok) expect(r.error.line).toBeGreaterThan(0);
      }),
      { numRuns: 600 },
    );
  });

  it("config, requirements, MCP configs and tool descriptions", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseConfig(text, "c.yaml");
        } catch (e) {
          expect(e).toBeInstanceOf(ScanError);
        }
        checkRequirements("requirements.txt", text);
        readMcpConfig(".mcp.json", text);
        checkToolDescription(text);
      }),
      { numRuns: 300 },
    );
  });
});
