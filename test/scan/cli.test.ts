// `warden scan` as a command: exit codes, output formats, --help true to the parser, --explain.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SCAN_HELP, SCAN_OPTIONS, scanCommand } from "../../src/cli/scan.js";
import { RULES } from "../../src/scan/index.js";
import { cleanupProjects, FIXTURES, fakeIO, project } from "./helpers.js";

afterAll(cleanupProjects);

const run = async (argv: string[], cwd = FIXTURES) => {
  const io = fakeIO(cwd);
  const code = await scanCommand(argv, io);
  return { code, out: io.out, err: io.err };
};

describe("exit codes", () => {
  it("is 0 on a clean project", async () => {
    const r = await run(["clean"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("0 findings, 0 suppressed, 0 file errors");
  });

  it("is 1 on findings at or above --fail-on (default medium), 0 below it", async () => {
    expect((await run(["npm-install-script"])).code).toBe(1);
    expect((await run(["npm-install-script", "--fail-on", "high"])).code).toBe(0);
    expect((await run(["secret-hardcoded", "--fail-on", "critical"])).code).toBe(1);
    expect((await run(["mcp-unpinned-server", "--fail-on", "info"])).code).toBe(1);
  });

  it("is 2 on parse errors, and still prints the report", async () => {
    const r = await run(["parse-error"]);
    expect(r.code).toBe(2);
    expect(r.out).toContain("src/broken.mjs:1:18: parse error");
  });

  it("is 2 on usage errors", async () => {
    expect((await run(["--fail-on", "severe"])).code).toBe(2);
    expect((await run(["--nope"])).code).toBe(2);
    expect((await run(["a", "b"])).code).toBe(2);
    expect((await run(["--probe-timeout", "soon"])).code).toBe(2);
    expect((await run(["--json", "--sarif", "-"])).code).toBe(2);
    const missing = await run(["no-such-dir"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("SCAN_USAGE");
  });

  it("is 2, not a crash, when the SARIF log cannot be written", async () => {
    const r = await run(["clean", "--sarif", join(FIXTURES, "no-such-dir", "out.sarif")]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot write the SARIF log: ENOENT/);
  });

  it("is 2 with file:line on a malformed .warden-scan.yaml", async () => {
    const root = await project({
      ".warden-scan.yaml": "suppressions:\n  - rule: code-shell-exec\n    path: 3\n",
    });
    const r = await run([root]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/SCAN_CONFIG: \.warden-scan\.yaml:3:\d+: /);
  });
});

describe("output", () => {
  it("prints the findings grouped by file in text", async () => {
    const r = await run(["code-shell-exec"]);
    expect(r.out).toMatch(/src\/run\.mjs\n {2}4:3 +high +code-shell-exec +child_process\.exec\(\)/);
    expect(r.out).toContain("--explain RULE");
  });

  it("escapes controls in what the scanned project wrote: file names and the code messages quote", async () => {
    const root = await project({
      "src/\u001b[2Jrun\u202e.mjs": 'import { exec } from "child_process";\nexec(cmd);\n',
    });
    const r = await run([root]);
    expect(r.out).toContain("code-shell-exec");
    expect(r.out).toContain("\\u001b[2Jrun\\u202e.mjs");
    expect(r.out.split("\n").filter((l) => /[\p{Cc}\p{Cf}]/u.test(l))).toEqual([]);
  });

  it("prints JSON with --json", async () => {
    const r = await run(["npm-install-script", "--json"]);
    const json = JSON.parse(r.out);
    expect(json).toMatchObject({ version: 1, summary: { findings: 1, bySeverity: { medium: 1 } } });
    expect(json.installScripts[0]).toMatchObject({ name: "native-thing", allowed: null });
  });

  it("writes SARIF to a file next to the text report, or to stdout with -", async () => {
    const dir = await project({});
    const file = join(dir, "out.sarif");
    const r = await run(["code-dynamic-eval", "--sarif", file]);
    expect(r.out).toContain("code-dynamic-eval");
    expect(JSON.parse(await readFile(file, "utf8")).version).toBe("2.1.0");
    expect(JSON.parse((await run(["clean", "--sarif", "-"])).out).runs[0].results).toEqual([]);
  });

  it("takes --exclude and --config", async () => {
    expect((await run(["code-shell-exec", "--exclude", "src/**", "--exclude", "*.py"])).code).toBe(0);
    const root = await project({ "x.yaml": "exclude: ['**/*.mjs', '**/*.py']\n" });
    expect((await run(["code-shell-exec", "--config", join(root, "x.yaml")])).code).toBe(0);
  });
});

describe("help and rules", () => {
  it("--help documents exactly the options the parser accepts", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`${SCAN_HELP}\n`);
    const documented = [...SCAN_HELP.matchAll(/--([a-z-]+)/g)].map((m) => m[1] ?? "");
    for (const name of Object.keys(SCAN_OPTIONS)) expect(documented).toContain(name);
    for (const name of new Set(documented)) {
      if (name === "fail-on" || name === "explain" || name in SCAN_OPTIONS) continue;
      throw new Error(`help mentions --${name}, which the parser does not accept`);
    }
  });

  it("--explain prints why and how to fix for every rule, and fails on unknown ones", async () => {
    for (const rule of RULES) {
      const r = await run(["--explain", rule.id]);
      expect(r.code).toBe(0);
      expect(r.out).toContain("Why:");
      expect(r.out).toContain("Fix:");
    }
    expect((await run(["--explain", "nope"])).code).toBe(2);
  });

  it("--list-rules lists every rule id", async () => {
    const r = await run(["--list-rules"]);
    for (const rule of RULES) expect(r.out).toContain(rule.id);
  });
});
