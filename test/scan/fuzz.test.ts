// Property tests: random input never crashes a parser-facing part of the scanner.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/scan/config.js";
import { ScanError } from "../../src/scan/errors.js";
import { readMcpConfig } from "../../src/scan/mcp/config-read.js";
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
