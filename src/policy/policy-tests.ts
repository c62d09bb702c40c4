// Runs a policy's own `tests:` section: each case is one call and the decision it must get.
import { parseText } from "./locate.js";
import type { CompiledPolicy, Effect, PolicyDecision } from "./types.js";

export interface PolicyTestResult {
  name: string;
  ok: boolean;
  expected: Effect;
  got: PolicyDecision;
  /** The rule the test expects to decide, when it names one. */
  expectedRule: string | null;
}

/**
 * Evaluates every test case of `policy`. The agent's team and developer come from the registry,
 * so `agent.team` conditions see what they will see in production.
 * @example
 * const failed = runPolicyTests(policy).filter((r) => !r.ok);
 */
export function runPolicyTests(policy: CompiledPolicy, now: Date = new Date()): PolicyTestResult[] {
  return policy.tests.map((test, i) => {
    const profile = policy.agents?.get(test.agent);
    const got = policy.evaluate({
      tool: test.tool,
      args: test.args,
      agent: { name: test.agent, team: profile?.team ?? null, developer: profile?.developer ?? null },
      session: { id: `policy-test-${i}`, onBehalfOf: test.onBehalfOf, intent: test.intent, parent: null },
      now,
    });
    const ok = got.effect === test.expect && (test.rule === null || got.ruleId === test.rule);
    return { name: test.name, ok, expected: test.expect, got, expectedRule: test.rule };
  });
}

/** Where each of the `tests:` cases of a policy's text starts (file, 1-based line and column), in order. */
export function testPositions(
  text: string,
  source: string,
): { file: string; line: number; column: number }[] {
  const parsed = parseText(text, source);
  const tests = (parsed.value as { tests?: unknown } | undefined)?.tests;
  if (!Array.isArray(tests)) return [];
  return tests.map((_, i) => {
    const { file, line, column } = parsed.locate({ path: ["tests", i], message: "" });
    return { file, line, column };
  });
}
