// The documented `export:` examples are valid policy; bad export config is a policy issue with a place;
// every registered sink type has its factory, its documentation, and builds from its documented entry.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createSink, SINK_FACTORIES, SINK_SCHEMAS } from "../../src/export/index.js";
import { sinkFields } from "../../src/export/sinks/config.js";
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

  describe("the sink registry", () => {
    const types = SINK_SCHEMAS.map((s) => s.shape.type.value);
    const documented = () => {
      const file = "docs/export.md";
      return parsePolicy(`allowed_tools: [read_ticket]\n${yamlBlockAfter(file, "## Configuration")}`, file)
        .export?.sinks;
    };

    it("pairs every sink type with its factory, in the same order", () => {
      expect(new Set(types).size).toBe(types.length);
      expect(Object.keys(SINK_FACTORIES)).toEqual(types);
    });

    it("builds every sink schema as the common fields, then `type`, then the sink's own", () => {
      for (const schema of SINK_SCHEMAS) {
        const keys = Object.keys(schema.shape);
        expect(keys.slice(0, keys.indexOf("type") + 1)).toEqual([...Object.keys(sinkFields), "type"]);
      }
    });

    it("documents every sink type: the policy reference lists them, the export example has one of each", () => {
      const policyDoc = readFileSync("docs/policy.md", "utf8").replace(/\s+/g, " ");
      const listed = types.map((t) => `\`${t}\``);
      expect(policyDoc).toContain(`${listed.slice(0, -1).join(", ")} or ${listed.at(-1)}`);
      expect(documented()?.map((s) => s.type)).toEqual(types);
    });

    it("builds every sink type from its documented entry, secrets from the environment", async () => {
      const ca = join(mkdtempSync(join(tmpdir(), "warden-sinks-")), "ca.pem");
      writeFileSync(ca, "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
      const env = {
        SPLUNK_HEC_TOKEN: "hec-token",
        WARDEN_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString("base64")}`,
        OTLP_API_KEY: "otlp-key",
      };
      for (const doc of documented() ?? []) {
        const sink = createSink("ca" in doc && doc.ca !== undefined ? { ...doc, ca } : doc, env);
        expect(sink.name).toBe(doc.name);
        await sink.close();
      }
      const splunk = documented()?.find((s) => s.type === "splunk-hec");
      expect(() => createSink(splunk!, {})).toThrow(
        expect.objectContaining({ code: "EXPORT_CONFIG_INVALID" }),
      );
    });
  });
});
