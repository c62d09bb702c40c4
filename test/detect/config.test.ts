// The policy's `tools:`, `intents:` and `detect:` sections: validated strictly, compiled to fast lookups.
import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/policy/index.js";

const compile = (doc: object) => parsePolicy(JSON.stringify(doc), "<t>");

describe("detect config", () => {
  it("merges the labels of every matching tool glob and caches intent lookups", () => {
    const p = compile({
      tools: { "crm_*": { reads: ["customer_pii"] }, crm_export: { sends: "external" } },
      intents: { "answer ticket*": ["read_ticket", "kb__*"] },
    });
    expect(p.detect.labelsOf("crm_export")).toEqual({ reads: ["customer_pii"], sends: ["external"] });
    expect(p.detect.labelsOf("other")).toEqual({ reads: [], sends: [] });
    expect(p.detect.intentTools("ANSWER TICKET 9")?.("kb__search")).toBe(true);
    expect(p.detect.intentTools("something else")).toBeNull();
    expect(p.detect.dlp).toBeNull();
  });

  it("fills defaults: dlp denies credentials, drift and rate only alert", () => {
    const p = compile({ detect: { dlp: {}, drift: {}, rate: {} } });
    expect(p.detect.dlp).toMatchObject({ action: "deny", secrets: true, piiAction: "deny" });
    expect(p.detect.drift).toMatchObject({ action: "alert", minObservations: 50 });
  });

  it("refuses unknown keys, a flow rule with both after and from, and deny on drift", () => {
    for (const bad of [
      { detect: { dlp: { actoin: "deny" } } },
      {
        detect: {
          flow: [{ id: "x", after: { reads: "a" }, from: { results: "any" }, to: { tools: ["t"] } }],
        },
      },
      { detect: { flow: [{ id: "x", after: { reads: "a" }, to: {} }] } },
      { detect: { drift: { action: "deny" } } },
      { detect: { suppress: [{ detector: "dlp", tool: "t", reason: "r", expires: "soon" }] } },
    ]) {
      expect(() => compile(bad), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: "POLICY_INVALID" }),
      );
    }
  });
});
