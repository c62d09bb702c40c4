// What an approval is bound to: one digest over exactly the call a person saw, and the key a
// remembered approval matches on.

import { type PathStep, parseJsonPath } from "../config/index.js";
import { canonicalDigest } from "../digest.js";
import type { JsonValue } from "../json.js";

export interface ApprovedCall {
  tool: string;
  args: JsonValue;
  session: string;
  agent: string;
  onBehalfOf: string;
  /** Digest of the policy that asked: a changed policy is a different question. */
  policy: string;
}

/** SHA-256 over the canonical JSON of the call; any change to any part gives another digest. */
export function approvalDigest(call: ApprovedCall): string {
  return canonicalDigest({
    tool: call.tool,
    args: call.args,
    session: call.session,
    agent: call.agent,
    onBehalfOf: call.onBehalfOf,
    policy: call.policy,
  });
}

/**
 * The argument fields a remembered approval is keyed on: the rule's `remember` paths and every field
 * its condition reads, or null for the exact arguments (the rule declared no scope, or its condition
 * reads the arguments in a way that cannot be narrowed to paths).
 */
export function rememberPaths(settings: {
  remember: readonly string[];
  conditionReads: readonly string[] | "all";
}): string[] | null {
  if (settings.remember.length === 0 || settings.conditionReads === "all") return null;
  const paths = new Set<string>();
  for (const path of [...settings.remember, ...settings.conditionReads]) {
    const steps = parseJsonPath(path);
    // Validated at load; one that does not parse keys on everything rather than nothing.
    if (typeof steps === "string") return null;
    paths.add(spelled(steps));
  }
  return [...paths].sort();
}

/** One spelling per path (`$.to` and `$["to"]` are one field): `$["to"][0][*]`. */
function spelled(steps: readonly PathStep[]): string {
  const parts = steps.map((s) =>
    s.kind === "key" ? `[${JSON.stringify(s.key)}]` : s.kind === "index" ? `[${s.index}]` : "[*]",
  );
  return `$${parts.join("")}`;
}

/**
 * The structured action a remembered approval covers: the tool and the values at `paths` (all
 * arguments when null). Never a raw string match: two calls share a key only when every path holds
 * equal JSON values; a missing field reaches no value, so it matches only another call that lacks it
 * too — as the approver saw it.
 */
export function rememberKey(tool: string, args: JsonValue, paths: readonly string[] | null): string {
  if (paths === null) return canonicalDigest({ tool, args });
  const fields: Record<string, JsonValue[]> = {};
  for (const path of paths) {
    const steps = parseJsonPath(path);
    // Paths are validated at load; one that does not parse keys on everything rather than nothing.
    if (typeof steps === "string") return canonicalDigest({ tool, args });
    fields[path] = valuesAt(args, steps);
  }
  return canonicalDigest({ tool, fields });
}

/** Every value a path reaches (wildcards reach several); a missing field reaches none. */
export function valuesAt(value: JsonValue, steps: readonly PathStep[], at = 0): JsonValue[] {
  const step = steps[at];
  if (step === undefined) return [value];
  if (Array.isArray(value)) {
    if (step.kind === "any") return value.flatMap((v) => valuesAt(v, steps, at + 1));
    if (step.kind === "index" && step.index < value.length)
      return valuesAt(value[step.index]!, steps, at + 1);
    return [];
  }
  if (value !== null && typeof value === "object") {
    if (step.kind === "any") return Object.values(value).flatMap((v) => valuesAt(v, steps, at + 1));
    if (step.kind === "key" && Object.hasOwn(value, step.key))
      return valuesAt(value[step.key]!, steps, at + 1);
  }
  return [];
}
