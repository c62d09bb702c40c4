import { describe, expect, it } from "vitest";
import { parsePolicy, type ReplayCall, replayCalls, runPolicyTests } from "../../src/policy/index.js";

const POLICY = `
agents:
  support-bot: {team: support, developer: dana@example.com, tools: [read_ticket, send_email]}
rules:
  - {id: read, tool: read_ticket, decision: allow}
  - {id: team-mail, tool: send_email, decision: allow, when: 'agent.team == "support" && session.intent == "reply"'}
tests:
  - {name: reads, agent: support-bot, tool: read_ticket, expect: allow, rule: read}
  - {agent: support-bot, tool: send_email, intent: reply, expect: allow}
  - {name: wrong rule, agent: support-bot, tool: read_ticket, expect: allow, rule: default}
  - {name: wrong effect, agent: support-bot, tool: send_email, expect: allow}
  - {name: outside job, agent: support-bot, tool: execute_shell, expect: deny, rule: agent.tools}
`;

describe("runPolicyTests", () => {
  const results = runPolicyTests(parsePolicy(POLICY, "p.yaml"));

  it("runs every case with the registry's agent profile and the test's session fields", () => {
    expect(results.map((r) => [r.ok, r.got.ruleId])).toEqual([
      [true, "read"],
      [true, "team-mail"],
      [false, "read"],
      [false, "default"],
      [true, "agent.tools"],
    ]);
  });

  it("reports what was expected", () => {
    expect(results[0]).toMatchObject({ name: "reads", expected: "allow", expectedRule: "read" });
    expect(results[1]?.name).toMatch(/send_email/);
    expect(results[1]?.expectedRule).toBeNull();
    expect(results[3]).toMatchObject({ ok: false, expected: "allow", got: { effect: "deny" } });
  });

  it("fills defaults for args, onBehalfOf and intent", () => {
    const p = parsePolicy("tests:\n  - {agent: a, tool: t, expect: deny}\n", "p.yaml");
    expect(p.tests[0]).toMatchObject({
      args: {},
      onBehalfOf: "test@example.com",
      intent: "policy test",
      rule: null,
    });
  });
});

describe("replayCalls", () => {
  const base = {
    args: {},
    agent: "support-bot",
    session: { id: "s1", onBehalfOf: "alice@example.com", intent: "reply", parent: null },
  };
  const calls: ReplayCall[] = [
    {
      ...base,
      callId: "c1",
      ts: "2025-03-04T10:00:00Z",
      tool: "read_ticket",
      before: { effect: "allow", ruleId: "read" },
    },
    {
      ...base,
      callId: "c2",
      ts: "2025-03-04T10:01:00Z",
      tool: "send_email",
      before: { effect: "allow", ruleId: "team-mail" },
    },
    {
      ...base,
      callId: "c3",
      ts: "2025-03-04T10:02:00Z",
      tool: "send_email",
      before: { effect: "allow", ruleId: "team-mail" },
    },
    {
      ...base,
      callId: "c4",
      ts: "2025-03-04T10:03:00Z",
      tool: "delete_ticket",
      before: { effect: "deny", ruleId: "default" },
    },
  ];
  const candidate = parsePolicy(
    `
agents:
  support-bot: {team: support, developer: dana@example.com, tools: [read_ticket, send_email, delete_ticket]}
rules:
  - {id: read, tool: read_ticket, decision: allow}
  - {id: mail-asks, tool: send_email, decision: ask}
  - {id: night, tools: ["*"], decision: deny, when: 'now.getHours("UTC") < 6'}
  - {id: delete, tool: delete_ticket, decision: allow}
`,
    "candidate.yaml",
  );

  it("lists calls whose effect changed, with both rule ids, and counts transitions and rules", () => {
    const report = replayCalls(candidate, calls);
    expect(report.total).toBe(4);
    expect(report.unchanged).toBe(1);
    expect(report.changed).toEqual([
      {
        callId: "c2",
        ts: "2025-03-04T10:01:00Z",
        tool: "send_email",
        agent: "support-bot",
        before: { effect: "allow", ruleId: "team-mail" },
        after: { effect: "ask", ruleId: "mail-asks", reason: "rule mail-asks" },
      },
      expect.objectContaining({ callId: "c3" }),
      expect.objectContaining({
        callId: "c4",
        after: expect.objectContaining({ effect: "allow", ruleId: "delete" }),
      }),
    ]);
    expect(report.transitions).toEqual({ "allow→ask": 2, "deny→allow": 1 });
    expect(report.byRule).toEqual({ read: 1, "mail-asks": 2, delete: 1 });
    expect(report.changedByRule).toEqual({ "mail-asks": 2, delete: 1 });
  });

  it("evaluates each call at its recorded time", () => {
    const night = { ...calls[0]!, ts: "2025-03-04T03:00:00Z" };
    const report = replayCalls(candidate, [night]);
    expect(report.changed[0]?.after).toMatchObject({ effect: "deny", ruleId: "night" });
  });
});
