// Shared builders for policy tests: an EvalInput with sensible defaults, and issue extraction.
import { expect } from "vitest";
import { PolicyInvalidError, type PolicyIssue } from "../../src/errors.js";
import type { JsonValue } from "../../src/json.js";
import { type EvalInput, parsePolicy } from "../../src/policy/index.js";

export function call(
  tool: string,
  args: JsonValue = {},
  agent = "bot",
  extra: Partial<EvalInput> = {},
): EvalInput {
  return {
    tool,
    args,
    agent: { name: agent, team: null, developer: null },
    session: { id: "s1", onBehalfOf: "alice@example.com", intent: "help a customer", parent: null },
    now: new Date("2025-03-04T10:00:00Z"),
    ...extra,
  };
}

/** The issues parsePolicy throws for `text`; fails the test if it does not throw PolicyInvalidError. */
export function issuesOf(text: string, source = "policy.yaml"): PolicyIssue[] {
  try {
    parsePolicy(text, source);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyInvalidError);
    const e = err as PolicyInvalidError;
    expect(e.code).toBe("POLICY_INVALID");
    return e.issues;
  }
  expect.fail("policy was accepted");
}

/** `line:column` pairs, for compact assertions on where issues point. */
export function where(issues: readonly PolicyIssue[]): string[] {
  return issues.map((i) => `${i.line}:${i.column}`);
}
