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
    expect(p.detect.intentTools("ANSWER TICKET 9", "bot")?.("kb__search")).toBe(true);
    expect(p.detect.intentTools("something else", "bot")).toBeNull();
    expect(p.detect.dlp).toBeNull();
  });

  it("scopes an intent to agents: another agent's same intent is not checked against it", () => {
    const p = compile({
      intents: {
        "pay invoice*": { agents: ["finance-*"], tools: ["pay", "read_invoice"] },
        "deploy*": ["deploy", "read_logs"],
      },
    });
    expect(p.detect.intentTools("pay invoice 7", "finance-bot")?.("pay")).toBe(true);
    expect(p.detect.intentTools("pay invoice 7", "finance-bot")?.("deploy")).toBe(false);
    expect(p.detect.intentTools("pay invoice 7", "devops-bot")).toBeNull();
    expect(p.detect.intentTools("deploy app", "devops-bot")?.("deploy")).toBe(true);
    expect(() => compile({ intents: { x: { agents: [], tools: ["t"] } } })).toThrow();
  });

  it("scopes a suppression by destination host and agent", () => {
    const p = compile({
      detect: {
        suppress: [
          {
            detector: "dlp",
            tool: "http_post",
            hosts: ["*.crm.example"],
            agents: ["sales-*"],
            reason: "CRM",
            expires: "2999-01-01",
          },
        ],
      },
    });
    const at = (agent: string, hosts: string[], tool = "http_post") =>
      p.detect.suppressed("dlp", { tool, agent, hosts: () => hosts }, Date.now());
    expect(at("sales-bot", ["eu.crm.example"])).toBe("CRM");
    expect(at("sales-bot", ["eu.crm.example", "evil.example"])).toBeNull();
    expect(at("sales-bot", ["crm.example.evil.com"])).toBeNull();
    expect(at("sales-bot", [])).toBeNull();
    expect(at("sales-bot", [""])).toBeNull();
    expect(at("support-bot", ["eu.crm.example"])).toBeNull();
    expect(at("sales-bot", ["eu.crm.example"], "send_email")).toBeNull();
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
