import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PolicyInvalidError } from "../../src/errors.js";
import { loadPolicyFile, runPolicyTests } from "../../src/policy/index.js";
import { call } from "./helpers.js";

const example = fileURLToPath(new URL("../fixtures/policy/example.yaml", import.meta.url));

describe("example policy (test/fixtures/policy/example.yaml)", () => {
  it("loads, and its own tests pass", async () => {
    const policy = await loadPolicyFile(example);
    expect(policy.source).toBe(example);
    expect(policy.mode).toBe("enforce");
    expect(policy.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect([...(policy.agents?.keys() ?? [])]).toEqual(["support-bot", "research-bot"]);
    const results = runPolicyTests(policy);
    expect(results.length).toBeGreaterThanOrEqual(8);
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  it("exposes limits and redactions", async () => {
    const policy = await loadPolicyFile(example);
    expect(policy.limits).toEqual([
      expect.objectContaining({ id: "agent-rate", key: "agent", calls: 30, everyMs: 60_000, burst: 30 }),
    ]);
    expect(policy.redactionsFor("send_email")).toEqual(["$.body", "$.attachments[*].content"]);
    expect(policy.redactionsFor("read_ticket")).toEqual([]);
  });

  it("fails closed on a mail without a recipient", async () => {
    const policy = await loadPolicyFile(example);
    const d = policy.evaluate(call("send_email", { body: "x" }, "support-bot"));
    expect(d).toMatchObject({ effect: "ask", ruleId: "mail-outside-asks" });
  });

  it("reports an unreadable file as one issue at 1:1", async () => {
    const err = await loadPolicyFile("/nonexistent/policy.yaml").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyInvalidError);
    expect((err as PolicyInvalidError).issues).toEqual([
      expect.objectContaining({ file: "/nonexistent/policy.yaml", line: 1, column: 1 }),
    ]);
  });
});
