// Keeps the unit project in-process and on one module graph: a test file that reaches PostgreSQL, starts
// an MCP server over stdio, starts a sandbox, spawns a process or mocks a module must be in the e2e list
// (test/projects.ts).
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { isE2e } from "./projects.js";

const ROOT = resolve(import.meta.dirname, "..");

// What leaves the test process, or needs a module graph of its own. Tools a test runs once to make a
// fixture (openssl, git) are allowed.
const E2E_MARKS = [
  /from "(?:\.\.?\/)+(?:ledger\/)?pg\.js"/,
  /\bstdioServer\(|StdioClientTransport/,
  /\b(?:spawn|spawnSync|fork)\(/,
  /dist\/cli\/bin\.js/,
  /\/usr\/bin\/chromium/,
  /\b(?:Bubblewrap|Gvisor)Runner\b/,
  /\bvi\.mock\(/,
];

// Mention the patterns above without running anything: this file, and scanner fixtures as strings.
const MENTIONS_ONLY = ["test/projects.test.ts", "test/scan/code-rules.test.ts"];

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "fixtures" ? [] : testFiles(path);
    return e.name.endsWith(".test.ts") ? [relative(ROOT, path).split("\\").join("/")] : [];
  });
}

describe("vitest projects", () => {
  it("puts every test file that leaves the process or mocks a module in e2e", () => {
    const files = testFiles(join(ROOT, "test"));
    expect(files.length).toBeGreaterThan(100);
    const misplaced = files.filter(
      (f) =>
        !isE2e(f) &&
        !MENTIONS_ONLY.includes(f) &&
        E2E_MARKS.some((re) => re.test(readFileSync(join(ROOT, f), "utf8"))),
    );
    expect(misplaced).toEqual([]);
  });

  it("matches the globs as vitest does for the shapes the list uses", () => {
    expect(isE2e("test/e2e/docs/snippets.test.ts")).toBe(true);
    expect(isE2e("test/ledger/postgres-dropped.test.ts")).toBe(true);
    expect(isE2e("test/ledger/chain.test.ts")).toBe(false);
    expect(isE2e("test/e2e.test.ts")).toBe(false);
  });
});
