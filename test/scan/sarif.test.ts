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
