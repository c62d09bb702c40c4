// What an approval is bound to: one digest over exactly the call a person saw, and the key a
// remembered approval matches on.
import { canonicalDigest } from "../digest.js";
import type { JsonValue } from "../json.js";
import { type PathStep, parseJsonPath } from "../policy/index.js";

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
 * The structured action a remembered approval covers: the tool and the values of the argument fields
 * the policy names (all arguments when it names none). Never a raw string match: two calls share a
 * key only when those fields hold equal JSON values.
 */
export function rememberKey(tool: string, args: JsonValue, paths: readonly string[]): string {
  if (paths.length === 0) return canonicalDigest({ tool, args });
  const fields: Record<string, JsonValue[]> = {};
  for (const path of paths) {
    const steps = parseJsonPath(path);
    fields[path] = typeof steps === "string" ? [] : valuesAt(args, steps, 0);
  }
  return canonicalDigest({ tool, fields });
}

/** Every value a path reaches (wildcards reach several); a missing field reaches none. */
function valuesAt(value: JsonValue, steps: readonly PathStep[], at: number): JsonValue[] {
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
