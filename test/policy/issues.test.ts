import { describe, expect, it } from "vitest";
import { checkPolicyText, formatIssue, parsePolicy } from "../../src/policy/index.js";
import { issuesOf, where } from "./helpers.js";

describe("malformed policies: every issue, each located", () => {
  it("YAML syntax error", () => {
    const issues = issuesOf("rules: [\n  {id: a, tool: x\n");
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]).toMatchObject({ file: "policy.yaml", line: 3, column: 1 });
  });

  it("duplicate YAML keys", () => {
    expect(where(issuesOf("a: 1\na: 2\n"))).toEqual(["2:1"]);
  });

  it("unknown keys, top-level and nested, point at the key", () => {
    const issues = issuesOf(
      "version: 1\napprovalz: {}\nrules:\n  - id: a\n    tool: x\n    decision: allow\n    colour: red\n",
    );
    expect(issues.map((i) => i.path)).toEqual([["approvalz"], ["rules", 0, "colour"]]);
    expect(where(issues)).toEqual(["2:1", "7:5"]);
  });

  it("unknown key in JSON", () => {
    const text =
      '{\n  "rules": [\n    {"id": "a", "tool": "x", "decision": "maybe"}\n  ],\n  "extra": true\n}';
    const issues = issuesOf(text, "p.json");
    expect(issues.map((i) => i.path)).toEqual([["rules", 0, "decision"], ["extra"]]);
    expect(where(issues)).toEqual(["3:42", "5:3"]);
    expect(issues[0]?.file).toBe("p.json");
  });

  it("egress entries take an optional port 1–65535 or *", () => {
    const ok = parsePolicy(
      'egress:\n  allow: [api.example.com, "git.example.com:22", "*.cdn.example.com:*", "[::1]:8080"]\n',
      "policy.yaml",
    );
    expect(ok.containment.allow).toHaveLength(4);
    const issues = issuesOf('egress:\n  allow: ["a.com:70000", "a.com:", "a.com:x"]\n  deny: ["b.com:0"]\n');
    expect(issues.map((i) => i.path)).toEqual([
      ["egress", "allow", 0],
      ["egress", "allow", 1],
      ["egress", "allow", 2],
      ["egress", "deny", 0],
    ]);
  });

  it("egress entries the proxy would refuse are refused at load, naming the entry", () => {
    const issues = issuesOf(
      'egress:\n  allow: ["*", "a..b.com", "*.*", "-x.com", "ok.example.com"]\n  deny: ["*.*:*"]\n',
    );
    expect(issues.map((i) => i.path)).toEqual([
      ["egress", "allow", 0],
      ["egress", "allow", 1],
      ["egress", "allow", 2],
      ["egress", "allow", 3],
      ["egress", "deny", 0],
    ]);
    expect(issues[1]?.message).toMatch(/"a\.\.b\.com" is not a host name or glob/);
  });

  it("wrong types", () => {
    const issues = issuesOf("rules:\n  - id: a\n    tools: x\n    decision: 3\n");
    expect(issues.map((i) => i.path)).toEqual([
      ["rules", 0, "tools"],
      ["rules", 0, "decision"],
    ]);
    expect(where(issues)).toEqual(["3:12", "4:15"]);
  });

  it("bad top-level values", () => {
    const issues = issuesOf("version: 2\nmode: loud\ndefault: maybe\n");
    expect(issues.map((i) => i.path)).toEqual([["version"], ["mode"], ["default"]]);
    expect(where(issues)).toEqual(["1:10", "2:7", "3:10"]);
  });

  it("a missing required key points at its object", () => {
    const issues = issuesOf("rules:\n  - id: a\n    tool: x\n");
    expect(issues).toEqual([expect.objectContaining({ path: ["rules", 0, "decision"], line: 2, column: 5 })]);
  });

  it("not a mapping", () => {
    expect(where(issuesOf(""))).toEqual(["1:1"]);
    expect(where(issuesOf("- a\n- b\n"))).toEqual(["1:1"]);
    expect(where(issuesOf("just text"))).toEqual(["1:1"]);
  });

  it.each([
    ["syntax", "'args.x >'"],
    ["unknown variable", "'argz.x > 1'"],
    ["unknown function", "'args.x.foo()'"],
  ])("bad CEL (%s) points at the when value", (_, when) => {
    const issues = issuesOf(`rules:\n  - id: a\n    tool: x\n    decision: deny\n    when: ${when}\n`);
    expect(issues).toEqual([expect.objectContaining({ path: ["rules", 0, "when"], line: 5, column: 11 })]);
  });

  it("bad globs", () => {
    const issues = issuesOf(
      "rules:\n  - id: a\n    tools: [ok, 'bad glob', 'x[1]', 'a{b}']\n    decision: deny\n",
    );
    expect(issues.map((i) => i.path)).toEqual([
      ["rules", 0, "tools", 1],
      ["rules", 0, "tools", 2],
      ["rules", 0, "tools", 3],
    ]);
    expect(where(issues)).toEqual(["3:17", "3:29", "3:37"]);
  });

  it("bad globs in agents, limits, plain lists and redact keys", () => {
    const text = [
      "allowed_tools: ['a b']",
      "agents:",
      "  bot: {team: t, developer: d, tools: ['x y']}",
      "limits:",
      "  - {id: l, key: tool, calls: 1, per: 1s, agents: ['(x)']}",
      "redact:",
      "  'bad{': ['$']",
    ].join("\n");
    expect(where(issuesOf(text))).toEqual(["1:17", "3:40", "5:52", "7:3"]);
  });

  it("duplicate rule ids and duplicate limit ids", () => {
    const text =
      "rules:\n  - {id: a, tool: x, decision: deny}\n  - {id: a, tool: y, decision: deny}\n" +
      "limits:\n  - {id: l, key: agent, calls: 1, per: 1s}\n  - {id: l, key: tool, calls: 1, per: 1s}\n";
    const issues = issuesOf(text);
    expect(issues.map((i) => i.path)).toEqual([
      ["rules", 1, "id"],
      ["limits", 1, "id"],
    ]);
    expect(where(issues)).toEqual(["3:10", "6:10"]);
  });

  it("bad ids", () => {
    const issues = issuesOf("rules:\n  - {id: 'bad id', tool: x, decision: deny}\n");
    expect(issues).toEqual([expect.objectContaining({ path: ["rules", 0, "id"], line: 2, column: 10 })]);
  });

  it("rules need exactly one of tool and tools, and tools must not be empty", () => {
    expect(issuesOf("rules:\n  - id: a\n    decision: deny\n")).toEqual([
      expect.objectContaining({ path: ["rules", 0], line: 2, column: 5 }),
    ]);
    expect(issuesOf("rules:\n  - id: a\n    tool: x\n    tools: [y]\n    decision: deny\n")).toEqual([
      expect.objectContaining({ path: ["rules", 0, "tool"], line: 3, column: 5 }),
    ]);
    expect(issuesOf("rules:\n  - {id: a, tools: [], decision: deny}\n")).toEqual([
      expect.objectContaining({ path: ["rules", 0, "tools"] }),
    ]);
  });

  it("bad durations and numbers in limits", () => {
    const issues = issuesOf(
      "limits:\n  - id: l\n    key: agent\n    calls: 0\n    per: 1 minute\n    burst: 1.5\n",
    );
    expect(issues.map((i) => i.path)).toEqual([
      ["limits", 0, "calls"],
      ["limits", 0, "per"],
      ["limits", 0, "burst"],
    ]);
    expect(where(issues)).toEqual(["4:12", "5:10", "6:12"]);
  });

  it("bad JSON paths in redact", () => {
    const issues = issuesOf("redact:\n  send_email: ['$.body', 'body', '$.a[x]']\n");
    expect(issues.map((i) => i.path)).toEqual([
      ["redact", "send_email", 1],
      ["redact", "send_email", 2],
    ]);
    expect(where(issues)).toEqual(["2:26", "2:34"]);
  });

  it("tests naming unknown agents (with a registry) or unknown rules", () => {
    const text =
      "agents:\n  a: {team: t, developer: d, tools: [x]}\n" +
      "rules: [{id: r, tool: x, decision: allow}]\n" +
      "tests:\n  - {agent: b, tool: x, expect: allow}\n  - {agent: a, tool: x, expect: allow, rule: nope}\n" +
      "  - {agent: a, tool: x, expect: allow, rule: r}\n  - {agent: a, tool: y, expect: deny, rule: agent.tools}\n";
    const issues = issuesOf(text);
    expect(issues.map((i) => i.path)).toEqual([
      ["tests", 0, "agent"],
      ["tests", 1, "rule"],
    ]);
    expect(where(issues)).toEqual(["5:13", "6:46"]);
  });

  it("tests without a registry may name any agent", () => {
    expect(checkPolicyText("tests:\n  - {agent: any, tool: x, expect: deny}\n", "p.yaml")).toEqual([]);
  });

  it("non-JSON test args", () => {
    const issues = issuesOf("tests:\n  - {agent: a, tool: x, expect: allow, args: {n: .nan}}\n");
    expect(issues.map((i) => i.path)).toEqual([["tests", 0, "args"]]);
  });

  it("several problems at once give several issues, in file order", () => {
    const text = [
      "version: 1",
      "colour: blue",
      "rules:",
      "  - id: a",
      "    tools: ['x y']",
      "    decision: deny",
      "    when: 'args.'",
      "  - id: a",
      "    tool: z",
      "    decision: perhaps",
      "limits:",
      "  - {id: l, key: planet, calls: 1, per: 1d}",
    ].join("\n");
    const issues = issuesOf(text);
    expect(where(issues)).toEqual(["2:1", "5:13", "7:11", "8:9", "10:15", "12:18", "12:41"]);
    const err = checkPolicyText(text, "policy.yaml");
    expect(err).toEqual(issues);
  });

  it("the error message and formatIssue carry file:line:column", () => {
    const text = "rules:\n  - {id: a, tool: x, decision: nope}\n";
    const issues = checkPolicyText(text, "conf/policy.yaml");
    expect(formatIssue(issues[0]!)).toMatch(/^conf\/policy\.yaml:2:32: /);
    try {
      parsePolicy(text, "conf/policy.yaml");
      expect.fail("accepted");
    } catch (err) {
      expect((err as Error).message).toContain("conf/policy.yaml:2:32");
    }
  });

  it("absurd nesting is an issue, not a crash", () => {
    const issues = issuesOf(`a: ${"[".repeat(20_000)}${"]".repeat(20_000)}`);
    expect(issues.length).toBeGreaterThan(0);
  });

  it("YAML 1.1 types that JSON cannot carry are refused", () => {
    const issues = issuesOf(
      "%YAML 1.1\n---\ntests:\n  - {agent: a, tool: x, expect: allow, args: {d: 2024-01-01}}\n",
    );
    expect(issues).toEqual([expect.objectContaining({ path: ["tests", 0, "args"], line: 4, column: 46 })]);
  });

  it("refuses __proto__ as an agent name or redact key, which a JS object would silently drop", () => {
    const issues = issuesOf(
      "agents:\n  __proto__: {team: t, developer: d, tools: [x]}\nredact:\n  __proto__: ['$']\n",
    );
    expect(issues.map((i) => i.path)).toEqual([
      ["agents", "__proto__"],
      ["redact", "__proto__"],
    ]);
    expect(where(issues)).toEqual(["2:3", "4:3"]);
  });

  it("a valid policy has no issues", () => {
    expect(checkPolicyText('{"allowed_tools": ["a"]}', "p.json")).toEqual([]);
  });
});
