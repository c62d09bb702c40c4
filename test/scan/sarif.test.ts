// SARIF output validated against the official SARIF 2.1.0 JSON schema (draft-07) with ajv.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Ajv } from "ajv";
import addFormatsPlugin from "ajv-formats";
import { describe, expect, it } from "vitest";
import { RULES, scan } from "../../src/scan/index.js";
import { formatSarif } from "../../src/scan/report/sarif.js";
import { FIXTURES } from "./helpers.js";

// The OASIS schema as shipped in @datadog/datadog-ci-plugin-sarif (its $id is the oasis-tcs/sarif-spec file).
const require = createRequire(import.meta.url);
const pluginDir = dirname(require.resolve("@datadog/datadog-ci-plugin-sarif/package.json"));
const schema = JSON.parse(
  readFileSync(join(pluginDir, "dist/json-schema/sarif-schema-2.1.0.json"), "utf8"),
) as {
  $id: string;
  $schema: string;
};
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
const validate = ajv.compile(schema);

describe("SARIF 2.1.0", () => {
  it("uses the official OASIS schema", () => {
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(schema.$id).toMatch(/oasis-tcs\/sarif-spec\/.*sarif-schema-2\.1\.0\.json$/);
  });

  it.each(["code-shell-exec", "npm-install-script", "mcp-inline-secret", "parse-error", "clean"])(
    "the log for fixture %s is valid",
    async (fixture) => {
      const report = await scan({ root: join(FIXTURES, fixture) });
      const log = JSON.parse(formatSarif(report, "0.1.0"));
      const ok = validate(log);
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    },
  );

  it("carries rule ids, help, levels, locations and suppressions", async () => {
    const report = await scan({ root: join(FIXTURES, "code-shell-exec") });
    report.findings[1] = {
      ...report.findings[1]!,
      suppressed: { reason: "fixed commands", expires: "2099-01-01" },
    };
    const log = JSON.parse(formatSarif(report, "0.1.0"));
    expect(validate(log)).toBe(true);
    const run = log.runs[0];
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(RULES.map((r) => r.id));
    const rule = run.tool.driver.rules.find((r: { id: string }) => r.id === "code-shell-exec");
    expect(rule.help.text).toContain("Fix:");
    expect(rule.properties["security-severity"]).toBe("8.0");
    expect(run.results[0]).toMatchObject({
      ruleId: "code-shell-exec",
      level: "error",
      locations: [
        { physicalLocation: { artifactLocation: { uri: "src/run.mjs" }, region: { startLine: 4 } } },
      ],
    });
    expect(run.results[1].suppressions[0].kind).toBe("external");
  });

  it("reports parse errors as tool execution notifications", async () => {
    const log = JSON.parse(formatSarif(await scan({ root: join(FIXTURES, "parse-error") }), "0.1.0"));
    expect(log.runs[0].invocations[0].executionSuccessful).toBe(false);
    expect(log.runs[0].invocations[0].toolExecutionNotifications).toHaveLength(2);
  });
});

describe("SARIF artifact URIs", () => {
  const uriOf = (file: string): string => {
    const report = {
      root: "/tmp/project",
      mode: "full" as const,
      filesScanned: 1,
      findings: [
        { ruleId: "secret-hardcoded", severity: "critical" as const, message: "m", file, line: 1, column: 1 },
      ],
      errors: [],
      installScripts: [],
      mcpServers: [],
      durationMs: 0,
    };
    const log = JSON.parse(formatSarif(report, "0.1.0"));
    expect(validate(log)).toBe(true);
    return log.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri;
  };

  it("keeps #, ? and % in a file name as part of the path", () => {
    const uri = uriOf("config/a b#c?d%25.json");
    expect(uri).toBe("config/a%20b%23c%3Fd%2525.json");
    const resolved = new URL(uri, "file:///tmp/project/");
    expect(decodeURIComponent(resolved.pathname)).toBe("/tmp/project/config/a b#c?d%25.json");
    expect(resolved.search + resolved.hash).toBe("");
  });

  it("never writes an absolute URI: a colon in the first segment is encoded", () => {
    const uri = uriOf("c:evil.json");
    expect(uri).toBe("c%3Aevil.json");
    expect(new URL(uri, "file:///tmp/project/").href).toBe("file:///tmp/project/c%3Aevil.json");
  });
});
