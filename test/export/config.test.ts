// The documented `export:` examples are valid policy; bad export config is a policy issue with a place.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/policy/index.js";

function yamlBlockAfter(file: string, marker: string): string {
  const text = readFileSync(file, "utf8");
  const from = text.indexOf(marker);
  const start = text.indexOf("```yaml\n", from) + "```yaml\n".length;
  return text.slice(start, text.indexOf("```", start));
}

describe("export config", () => {
  it.each([
    ["README.md", "## Connect your SIEM"],
    ["docs/export.md", "## Configuration"],
  ])("the example in %s parses", (file, marker) => {
    const policy = parsePolicy(`allowed_tools: [read_ticket]\n${yamlBlockAfter(file, marker)}`, file);
    expect(policy.export?.sinks.length).toBeGreaterThanOrEqual(6);
  });

  it("refuses unknown keys, duplicate sink names and bad durations", () => {
    const bad = `export:
  sinks:
    - { name: a, type: jsonl, path: x.jsonl, maxAge: soon }
    - { name: a, type: webhook, url: "https://h.example", secret: inline }
`;
    let err: unknown;
    try {
      parsePolicy(bad, "bad.yaml");
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: "POLICY_INVALID" });
    const text = JSON.stringify(err, Object.getOwnPropertyNames(err));
    expect(text).toContain("bad duration");
    expect(text).toContain("secret");
  });
});
