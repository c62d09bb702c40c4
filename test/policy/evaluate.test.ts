import { describe, expect, it } from "vitest";
import { parsePolicy, RULE_CACHE_LIMIT } from "../../src/policy/index.js";
import { call } from "./helpers.js";

describe("plain form", () => {
  const policy = parsePolicy(
    '{ "allowed_tools": ["read_database", "summarize_text"], "blocked_tools": ["send_email", "execute_shell"] }',
    "plain.json",
  );

  it("is a whole policy: blocked denied, allowed allowed, the rest denied by default", () => {
    expect(policy.evaluate(call("send_email"))).toMatchObject({ effect: "deny", ruleId: "blocked_tools" });
    expect(policy.evaluate(call("execute_shell"))).toMatchObject({ effect: "deny", ruleId: "blocked_tools" });
    expect(policy.evaluate(call("read_database"))).toMatchObject({
      effect: "allow",
      ruleId: "allowed_tools",
    });
    expect(policy.evaluate(call("other"))).toMatchObject({ effect: "deny", ruleId: "default" });
    expect(policy.mode).toBe("enforce");
    expect(policy.agents).toBeNull();
    expect(policy.agentMayUse("anyone", "anything")).toBe(true);
  });

  it("blocked_tools wins over allowed_tools and names the decision", () => {
    const p = parsePolicy("allowed_tools: ['*']\nblocked_tools: [rm]\n", "p.yaml");
    expect(p.evaluate(call("rm"))).toMatchObject({ effect: "deny", ruleId: "blocked_tools" });
    expect(p.evaluate(call("ls"))).toMatchObject({ effect: "allow", ruleId: "allowed_tools" });
  });

  it("combines with rules in the full form, listed first", () => {
    const p = parsePolicy(
      "blocked_tools: [rm]\nrules:\n  - {id: r1, tool: rm, decision: deny}\n  - {id: r2, tool: ls, decision: allow}\n",
      "p.yaml",
    );
    expect(p.evaluate(call("rm")).ruleId).toBe("blocked_tools");
    expect(p.evaluate(call("ls")).ruleId).toBe("r2");
  });

  it("digest is sha256 of the canonical JSON, independent of format and key order", () => {
    const a = parsePolicy('{"blocked_tools": ["x"], "allowed_tools": ["y"]}', "a.json");
    const b = parsePolicy("allowed_tools:\n  - y\nblocked_tools: [x]\n", "b.yaml");
    const c = parsePolicy("allowed_tools: [y, z]\n", "c.yaml");
    expect(a.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(a.digest).toBe(b.digest);
    expect(c.digest).not.toBe(a.digest);
  });
});

describe("precedence", () => {
  const policy = parsePolicy(
    `
default: allow
rules:
  - {id: allow-all, tools: ["*"], decision: allow}
  - {id: ask-mail, tools: ["send_*"], decision: ask}
  - {id: ask-mail-2, tools: [send_email], decision: ask}
  - {id: deny-shell, tools: [execute_shell], decision: deny}
  - {id: deny-shell-2, tools: ["exec*"], decision: deny}
`,
    "p.yaml",
  );

  it("deny beats ask beats allow; the first rule of the winning effect names it", () => {
    expect(policy.evaluate(call("execute_shell"))).toEqual({
      effect: "deny",
      ruleId: "deny-shell",
      reason: "rule deny-shell",
    });
    expect(policy.evaluate(call("send_email"))).toMatchObject({ effect: "ask", ruleId: "ask-mail" });
    expect(policy.evaluate(call("read"))).toMatchObject({ effect: "allow", ruleId: "allow-all" });
  });

  it("falls back to the default", () => {
    const p = parsePolicy("default: ask\nrules: [{id: a, tool: x, decision: allow}]\n", "p.yaml");
    expect(p.evaluate(call("y"))).toMatchObject({ effect: "ask", ruleId: "default" });
    expect(p.defaultEffect).toBe("ask");
    const none = parsePolicy("{}", "empty.json");
    expect(none.evaluate(call("y"))).toMatchObject({ effect: "deny", ruleId: "default" });
  });

  it("does not look at mode", () => {
    const p = parsePolicy("mode: monitor\nblocked_tools: [x]\n", "p.yaml");
    expect(p.mode).toBe("monitor");
    expect(p.evaluate(call("x")).effect).toBe("deny");
  });

  it("uses a rule's own reason when it has one", () => {
    const p = parsePolicy("rules: [{id: a, tool: x, decision: deny, reason: Not today}]\n", "p.yaml");
    expect(p.evaluate(call("x")).reason).toBe("Not today");
  });
});

describe("agents registry", () => {
  const policy = parsePolicy(
    `
agents:
  support-bot: {team: support, developer: dana@example.com, tools: [read_ticket, "kb__*", send_email]}
  research-bot: {team: research, developer: lee@example.com, description: Reads, tools: ["*"]}
rules:
  - {id: all, tools: ["*"], decision: allow}
  - {id: support-mail, tools: [send_email], agents: ["support-*"], decision: ask}
`,
    "p.yaml",
  );

  it("denies a tool outside the agent's job description, whatever the rules say", () => {
    expect(policy.evaluate(call("execute_shell", {}, "support-bot"))).toMatchObject({
      effect: "deny",
      ruleId: "agent.tools",
    });
    expect(policy.evaluate(call("kb__search", {}, "support-bot"))).toMatchObject({ effect: "allow" });
    expect(policy.agentMayUse("support-bot", "kb__search")).toBe(true);
    expect(policy.agentMayUse("support-bot", "execute_shell")).toBe(false);
    expect(policy.agentMayUse("nobody", "kb__search")).toBe(false);
  });

  it("denies an agent that is not registered", () => {
    expect(policy.evaluate(call("read_ticket", {}, "stranger"))).toMatchObject({
      effect: "deny",
      ruleId: "agent.unknown",
    });
  });

  it("exposes profiles with defaults filled in", () => {
    expect(policy.agents?.get("support-bot")).toEqual({
      name: "support-bot",
      team: "support",
      developer: "dana@example.com",
      description: "",
      tools: ["read_ticket", "kb__*", "send_email"],
    });
  });

  it("applies rule agent filters", () => {
    expect(policy.evaluate(call("send_email", {}, "support-bot"))).toMatchObject({ ruleId: "support-mail" });
    expect(policy.evaluate(call("send_email", {}, "research-bot"))).toMatchObject({ ruleId: "all" });
  });
});

describe("globs", () => {
  const policy = parsePolicy(
    `
rules:
  - {id: gh, tools: ["github__*"], decision: allow}
  - {id: one, tools: ["tool_?"], decision: ask}
  - {id: path, tools: ["fs/*/read"], decision: allow}
`,
    "p.yaml",
  );

  it("match MCP-style names, single characters and slashes", () => {
    expect(policy.evaluate(call("github__create_issue")).ruleId).toBe("gh");
    expect(policy.evaluate(call("github__a__b")).ruleId).toBe("gh");
    expect(policy.evaluate(call("github_x")).ruleId).toBe("default");
    expect(policy.evaluate(call("tool_1")).ruleId).toBe("one");
    expect(policy.evaluate(call("tool_12")).ruleId).toBe("default");
    expect(policy.evaluate(call("fs/home/user/read")).ruleId).toBe("path");
  });

  it("treat dots as literal", () => {
    const p = parsePolicy("allowed_tools: [a.b]\n", "p.yaml");
    expect(p.evaluate(call("a.b")).effect).toBe("allow");
    expect(p.evaluate(call("axb")).effect).toBe("deny");
  });

  it("give the same answers once the rule cache has been cleared", () => {
    for (let i = 0; i <= RULE_CACHE_LIMIT; i++) policy.evaluate(call(`github__t${i}`));
    expect(policy.evaluate(call("github__create_issue")).ruleId).toBe("gh");
    expect(policy.evaluate(call("tool_1")).ruleId).toBe("one");
  });
});

describe("many rules", () => {
  it("decides correctly with 1,000 rules (timing is for bench/)", () => {
    const rules = Array.from({ length: 1000 }, (_, i) => ({
      id: `r${i}`,
      tools: [`tool_${i}`, `ns${i % 10}__*`],
      decision: i % 3 === 0 ? "deny" : i % 3 === 1 ? "ask" : "allow",
      ...(i % 7 === 0 ? { when: `args.n > ${i}` } : {}),
    }));
    const policy = parsePolicy(JSON.stringify({ rules }), "big.json");
    expect(policy.evaluate(call("tool_2")).effect).toBe("allow");
    expect(policy.evaluate(call("tool_4")).effect).toBe("ask");
    expect(policy.evaluate(call("tool_3")).effect).toBe("deny");
    // r7 is ask-if-n>7: n missing fails closed (matches)
    expect(policy.evaluate(call("tool_7")).effect).toBe("ask");
    // r14 is allow-if-n>14: false or failing conditions leave it to the default
    expect(policy.evaluate(call("tool_14", { n: 100 }))).toMatchObject({ effect: "allow", ruleId: "r14" });
    expect(policy.evaluate(call("tool_14", { n: 1 }))).toMatchObject({ effect: "deny", ruleId: "default" });
    expect(policy.evaluate(call("tool_14"))).toMatchObject({ effect: "deny", ruleId: "default" });
    expect(policy.evaluate(call("ns0__x")).ruleId).toBe("r0");
  });
});
