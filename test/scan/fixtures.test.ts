// Every rule has a fixture project with one known-bad pattern; the clean project triggers nothing.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RULES, scan } from "../../src/scan/index.js";
import { FIXTURES } from "./helpers.js";

const PROBED = new Set(["mcp-tool-poisoning", "mcp-probe-failed"]);
const ruleFixtures = readdirSync(FIXTURES).filter((d) => RULES.some((r) => r.id === d));

describe("rule fixtures", () => {
  it.each(ruleFixtures)("%s reports that rule and nothing else", async (rule) => {
    const report = await scan({
      root: join(FIXTURES, rule),
      probe: PROBED.has(rule),
      probeTimeoutMs: 20_000,
    });
    expect(report.errors).toEqual([]);
    expect(report.findings.length).toBeGreaterThan(0);
    expect(new Set(report.findings.map((f) => f.ruleId))).toEqual(new Set([rule]));
    for (const f of report.findings) {
      expect(f.line).toBeGreaterThan(0);
      expect(f.severity).toBe(RULES.find((r) => r.id === rule)?.severity);
    }
  });

  it("has a fixture for every rule that a project can trigger on its own", () => {
    const configOnly = new Set(["suppression-expired"]);
    expect(RULES.map((r) => r.id).filter((id) => !configOnly.has(id) && !ruleFixtures.includes(id))).toEqual(
      [],
    );
  });

  it("finds nothing in the clean project (the negative case of every rule)", async () => {
    const report = await scan({ root: join(FIXTURES, "clean") });
    expect(report.errors).toEqual([]);
    expect(report.findings).toEqual([]);
    expect(report.filesScanned).toBeGreaterThanOrEqual(10);
    expect(report.installScripts).toEqual([
      { name: "native-thing", version: "2.0.0", lockfile: "package-lock.json", allowed: true },
    ]);
    expect(report.mcpServers.map((s) => s.name).sort()).toEqual(["files", "github", "local", "search"]);
  });

  it("reports files that do not parse, with file:line:column, instead of skipping them", async () => {
    const report = await scan({ root: join(FIXTURES, "parse-error") });
    expect(report.errors.map((e) => [e.file, e.line, e.kind])).toEqual([
      ["bad.py", 1, "parse"],
      ["src/broken.mjs", 1, "parse"],
    ]);
    expect(report.errors[1]?.column).toBe(18);
  });

  it("lists the tools of probed MCP servers", async () => {
    const report = await scan({
      root: join(FIXTURES, "mcp-tool-poisoning"),
      probe: true,
      probeTimeoutMs: 20_000,
    });
    expect(report.mcpServers[0]?.tools?.map((t) => t.name)).toEqual(["add", "read_notes"]);
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]?.message).toContain('tool "read_notes"');
  });
});
