// .warden-scan.yaml: validation with file:line, suppression by path or package, expiry.

import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/scan/config.js";
import { ScanError, scan } from "../../src/scan/index.js";
import { cleanupProjects, project } from "./helpers.js";

afterAll(cleanupProjects);

const configError = (text: string): ScanError => {
  try {
    parseConfig(text, ".warden-scan.yaml");
  } catch (e) {
    if (e instanceof ScanError) return e;
    throw e;
  }
  throw new Error("expected a ScanError");
};

describe("config validation", () => {
  it("accepts a complete file", () => {
    const cfg = parseConfig(
      "version: 1\nexclude: [test/fixtures/**]\nsuppressions:\n  - rule: code-shell-exec\n    path: src/run.ts\n    reason: fixed command list\n    expires: 2099-01-31\n",
      "f.yaml",
    );
    expect(cfg.suppressions[0]).toMatchObject({ rule: "code-shell-exec", line: 4 });
  });

  it.each([
    [
      "suppressions:\n  - rule: no-such-rule\n    path: a\n    reason: r\n    expires: 2099-01-01\n",
      2,
      "unknown rule id",
    ],
    ["suppressions:\n  - rule: code-shell-exec\n    path: a\n    expires: 2099-01-01\n", 2, "reason"],
    ["suppressions:\n  - rule: code-shell-exec\n    reason: r\n    expires: 2099-01-01\n", 2, "path"],
    [
      "suppressions:\n  - rule: code-shell-exec\n    path: a\n    reason: r\n    expires: 2099-02-30\n",
      5,
      "calendar",
    ],
    [
      "suppressions:\n  - rule: code-shell-exec\n    path: a\n    reason: r\n    expires: soon\n",
      5,
      "YYYY-MM-DD",
    ],
    ["exclude: [a]\nunknown: 1\n", 1, "nrecognized"],
    ["suppressions:\n  - rule: [unclosed\n", 3, ""],
  ])("rejects %j at line %i", (text, line, message) => {
    const e = configError(text);
    expect(e.code).toBe("SCAN_CONFIG");
    expect(e.where).toMatch(new RegExp(`^\\.warden-scan\\.yaml:${line}:\\d+$`));
    expect(e.message).toContain(message);
  });
});

describe("suppressions", () => {
  const files = {
    "src/a.ts": 'import { exec } from "child_process";\nexec(cmd);\n',
    "src/b.ts": 'import { exec } from "child_process";\nexec(cmd);\n',
    "package.json": JSON.stringify({ name: "p", version: "1.0.0", dependencies: { lodash: "^4.0.0" } }),
  };
  const config = (expires: string) => `suppressions:
  - rule: code-shell-exec
    path: "src/a.*"
    reason: command comes from a fixed table
    expires: ${expires}
  - rule: npm-unpinned-dependency
    package: lodash
    reason: waiting for upstream
    expires: ${expires}
`;
  const now = new Date("2026-06-15T12:00:00Z");

  it("marks matching findings as suppressed, by path glob and by package", async () => {
    const root = await project({ ...files, ".warden-scan.yaml": config("2026-06-15") });
    const report = await scan({ root, now });
    const summary = report.findings.map(
      (f) => `${f.file}:${f.ruleId}:${f.suppressed ? "suppressed" : "active"}`,
    );
    expect(summary).toEqual([
      "package.json:npm-lockfile-missing:active",
      "package.json:npm-unpinned-dependency:suppressed",
      "src/a.ts:code-shell-exec:suppressed",
      "src/b.ts:code-shell-exec:active",
    ]);
    expect(report.findings[1]?.suppressed).toEqual({ reason: "waiting for upstream", expires: "2026-06-15" });
  });

  it("turns expired suppressions into findings and stops applying them", async () => {
    const root = await project({ ...files, ".warden-scan.yaml": config("2026-06-14") });
    const report = await scan({ root, now });
    const expired = report.findings.filter((f) => f.ruleId === "suppression-expired");
    expect(expired.map((f) => `${f.file}:${f.line}`)).toEqual([".warden-scan.yaml:2", ".warden-scan.yaml:6"]);
    expect(report.findings.filter((f) => f.suppressed)).toEqual([]);
  });

  it("applies the config's exclude globs", async () => {
    const root = await project({ ...files, ".warden-scan.yaml": "exclude: [src/b.ts, package.json]\n" });
    const report = await scan({ root });
    expect(report.findings.map((f) => f.file)).toEqual(["src/a.ts"]);
  });

  it("fails with SCAN_CONFIG when an explicit config file is missing", async () => {
    const root = await project({});
    await expect(scan({ root, configPath: "nope.yaml" })).rejects.toMatchObject({ code: "SCAN_CONFIG" });
  });
});
