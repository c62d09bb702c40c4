import { describe, expect, it } from "vitest";
import type { JsonValue } from "../../src/json.js";
import { type Effect, parsePolicy } from "../../src/policy/index.js";
import { call } from "./helpers.js";

/** A policy with one rule `x` of `decision` guarded by `when`, default deny (or allow for deny rules). */
function guarded(when: string, decision: Effect = "allow") {
  const fallback = decision === "allow" ? "deny" : "allow";
  return parsePolicy(
    JSON.stringify({ default: fallback, rules: [{ id: "x", tools: ["*"], decision, when }] }),
    "p.json",
  );
}
const matches = (when: string, args: JsonValue = {}, decision: Effect = "allow") =>
  guarded(when, decision).evaluate(call("t", args)).ruleId === "x";

describe("CEL conditions", () => {
  it("see args", () => {
    expect(matches('args.to.endsWith("@example.com")', { to: "bob@example.com" })).toBe(true);
    expect(matches('args.to.endsWith("@example.com")', { to: "eve@evil.org" })).toBe(false);
    expect(matches("args.items.size() == 2 && args.items[1].n == 3", { items: [{ n: 1 }, { n: 3 }] })).toBe(
      true,
    );
    expect(matches("has(args.cc)", { cc: "x" })).toBe(true);
    expect(matches("has(args.cc)", {})).toBe(false);
    // @bufbuild/cel 0.6.1 treats a key whose value is null as absent for has() and `in` (docs/policy.md).
    expect(matches("has(args.cc)", { cc: null })).toBe(false);
    expect(matches("args.cc == null", { cc: null })).toBe(true);
    expect(matches('args["x-key"] == "v"', { "x-key": "v" })).toBe(true);
    expect(matches("args.flag", { flag: true })).toBe(true);
  });

  it("compare JSON integers and fractions as a reader expects", () => {
    expect(matches("args.amount > 100", { amount: 150 })).toBe(true);
    expect(matches("args.amount > 100", { amount: 100 })).toBe(false);
    expect(matches("args.amount > 100.5", { amount: 101 })).toBe(true);
    expect(matches("args.amount > 100.5", { amount: 100 })).toBe(false);
    expect(matches("args.amount > 100", { amount: 100.5 })).toBe(true);
    expect(matches("args.amount == 100", { amount: 100 })).toBe(true);
    expect(matches("args.amount == 100.0", { amount: 100 })).toBe(true);
    expect(matches("args.amount in [1, 2, 3]", { amount: 2 })).toBe(true);
    expect(matches("args.amount + 1 > 100", { amount: 100 })).toBe(true);
    expect(matches("double(args.amount) * 2.0 > 3.0", { amount: 1.75 })).toBe(true);
    expect(matches("args.big > 100", { big: 1e20 })).toBe(true);
  });

  it("do not mix int and double in arithmetic: an error, which fails closed", () => {
    // amount is 1.5 (double), 1 is an int literal: no overload, so the rule errors.
    expect(matches("args.amount + 1 > 0", { amount: 1.5 }, "allow")).toBe(false);
    expect(matches("args.amount + 1 > 0", { amount: 1.5 }, "deny")).toBe(true);
  });

  it("see tool, agent, session and now", () => {
    const p = parsePolicy(
      `
agents:
  bot: {team: support, developer: dana@example.com, tools: ["*"]}
rules:
  - {id: tool, tools: ["*"], decision: allow, when: 'tool.startsWith("kb__")'}
  - {id: team, tools: [team_tool], decision: allow, when: 'agent.team == "support" && agent.name == "bot"'}
  - {id: dev, tools: [dev_tool], decision: allow, when: 'agent.developer.endsWith("@example.com")'}
  - {id: user, tools: [user_tool], decision: allow, when: 'session.onBehalfOf == "alice@example.com" && session.intent.contains("customer")'}
  - {id: root, tools: [root_tool], decision: allow, when: 'session.parent == null && session.id == "s1"'}
  - {id: hours, tools: [time_tool], decision: allow, when: 'now.getHours("UTC") >= 9 && now.getHours("UTC") < 17'}
  - {id: date, tools: [date_tool], decision: allow, when: 'now > timestamp("2025-01-01T00:00:00Z")'}
`,
      "p.yaml",
    );
    const as = (tool: string, extra = {}) => p.evaluate(call(tool, {}, "bot", extra)).ruleId;
    expect(as("kb__search")).toBe("tool");
    expect(as("team_tool")).toBe("team");
    expect(as("dev_tool")).toBe("dev");
    expect(as("user_tool")).toBe("user");
    expect(as("root_tool")).toBe("root");
    expect(as("root_tool", { session: { id: "s1", onBehalfOf: "a", intent: "b", parent: "s0" } })).toBe(
      "default",
    );
    expect(as("time_tool")).toBe("hours");
    expect(as("time_tool", { now: new Date("2025-03-04T20:00:00Z") })).toBe("default");
    expect(as("date_tool")).toBe("date");
    expect(as("date_tool", { now: new Date("2024-03-04T20:00:00Z") })).toBe("default");
  });

  it("take team and developer from the registry, not from a session opened under an older policy", () => {
    const p = parsePolicy(
      `
agents:
  bot: {team: support, developer: dana@example.com, tools: ["*"]}
rules:
  - {id: finance, tools: [pay], decision: allow, when: 'agent.team == "finance"'}
  - {id: lee, tools: [deploy], decision: allow, when: 'agent.developer == "lee@example.com"'}
`,
      "p.yaml",
    );
    // The session still carries what the registry said when it was opened (team finance, developer lee).
    const stale = { agent: { name: "bot", team: "finance", developer: "lee@example.com" } };
    expect(p.evaluate(call("pay", {}, "bot", stale))).toMatchObject({ effect: "deny", ruleId: "default" });
    expect(p.evaluate(call("deploy", {}, "bot", stale))).toMatchObject({ effect: "deny", ruleId: "default" });
  });

  it("see a null team and developer when the agent is unknown to the caller and there is no registry", () => {
    expect(matches("agent.team == null && agent.developer == null && agent.name == 'bot'")).toBe(true);
  });

  it("support macros with their own variables, and time zones", () => {
    expect(
      matches('args.rcpt.exists(r, !r.endsWith("@example.com"))', { rcpt: ["a@example.com", "b@x.org"] }),
    ).toBe(true);
    expect(
      matches("args.rcpt.all(r, r.size() > 3) && args.rcpt.map(r, r.size()).size() == 1", { rcpt: ["abcd"] }),
    ).toBe(true);
    expect(matches('now.getHours("Europe/Berlin") == 11')).toBe(true); // 10:00Z in March is 11:00 CET
  });

  it("include the strings extension", () => {
    expect(matches('args.s.lowerAscii() == "abc"', { s: "ABC" })).toBe(true);
    expect(matches('args.s.split(",").size() == 3', { s: "a,b,c" })).toBe(true);
    expect(matches('args.s.indexOf("c") == 2', { s: "abc" })).toBe(true);
    expect(matches('args.s.matches("^a.c$")', { s: "abc" })).toBe(true);
  });

  it("treat a JSON object key such as $typeName as plain data", () => {
    expect(
      matches('args.x["$typeName"] == "google.protobuf.Duration"', {
        x: { $typeName: "google.protobuf.Duration" },
      }),
    ).toBe(true);
  });
});

describe("CEL run-time failures fail closed", () => {
  const cases: [string, string, JsonValue][] = [
    ["missing field", "args.missing == 1", {}],
    ["type error", 'args.n.startsWith("x")', { n: 1 }],
    ["non-bool result", "args.n", { n: 1 }],
    ["division by zero", "1 / args.n == 1", { n: 0 }],
    ["args not an object", "args.x == 1", [1, 2]],
  ];

  it.each(cases)("%s: a deny rule matches", (_, when, args) => {
    expect(guarded(when, "deny").evaluate(call("t", args))).toMatchObject({ effect: "deny", ruleId: "x" });
  });

  it.each(cases)("%s: an ask rule matches", (_, when, args) => {
    expect(guarded(when, "ask").evaluate(call("t", args))).toMatchObject({ effect: "ask", ruleId: "x" });
  });

  it.each(cases)("%s: an allow rule does not match", (_, when, args) => {
    expect(guarded(when, "allow").evaluate(call("t", args))).toMatchObject({
      effect: "deny",
      ruleId: "default",
    });
  });

  it("an invalid Date for now fails closed too", () => {
    const d = guarded("now > timestamp('2020-01-01T00:00:00Z')").evaluate(
      call("t", {}, "bot", { now: new Date(Number.NaN) }),
    );
    expect(d.ruleId).toBe("default");
  });

  it("equality across types is false, not an error: a deny on == checks the type first", () => {
    // CEL compares values of different types as unequal, so a list slips past a deny on equality ...
    expect(matches('args.to == "ceo@x.com"', { to: ["ceo@x.com"] }, "deny")).toBe(false);
    expect(matches('args.to in ["ceo@x.com"]', { to: ["ceo@x.com"] }, "deny")).toBe(false);
    // ... unless the condition tests the type, as docs/policy.md recommends.
    const typed = 'type(args.to) != string || args.to == "ceo@x.com"';
    for (const to of [["ceo@x.com"], 1, { a: "ceo@x.com" }, "ceo@x.com"]) {
      expect(matches(typed, { to }, "deny"), JSON.stringify(to)).toBe(true);
    }
    expect(matches(typed, {}, "deny")).toBe(true);
    expect(matches(typed, { to: "bob@x.com" }, "deny")).toBe(false);
  });

  it("a false deny condition leaves the allow in force", () => {
    const p = parsePolicy(
      "rules:\n  - {id: a, tool: t, decision: allow}\n  - {id: d, tool: t, decision: deny, when: 'args.n > 5'}\n",
      "p.yaml",
    );
    expect(p.evaluate(call("t", { n: 1 })).ruleId).toBe("a");
    expect(p.evaluate(call("t", { n: 9 })).ruleId).toBe("d");
    expect(p.evaluate(call("t", {})).ruleId).toBe("d");
  });
});
