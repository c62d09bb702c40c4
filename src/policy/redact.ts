// Replaces argument values at JSON paths with their digest, so the ledger never holds them in clear.

import { type PathStep, parseJsonPath } from "../config/index.js";
import { canonicalDigest } from "../digest.js";
import { formatPath } from "../errors.js";
import type { JsonValue } from "../json.js";

export interface RedactionResult {
  args: JsonValue;
  /** The concrete paths whose values were replaced, e.g. `$.attachments[0].content`. */
  redacted: string[];
}

/**
 * Returns a copy of `args` where every value at one of `paths` is replaced by the string
 * `sha256:<hex>` (SHA-256 of the value's canonical JSON), so two equal secrets still compare equal
 * in the ledger. A path that does not exist in `args` is skipped; an invalid path is ignored (the
 * policy loader rejects those). `args` itself is never mutated.
 * @example
 * const { args, redacted } = applyRedactions({ to: "a@b.c", body: "hi" }, ["$.body"]);
 * // args.body === "sha256:…", redacted = ["$.body"]
 */
export function applyRedactions(args: JsonValue, paths: readonly string[]): RedactionResult {
  let out = args;
  const redacted: string[] = [];
  for (const path of paths) {
    const steps = parseJsonPath(path);
    if (typeof steps === "string") continue;
    out = redactAt(out, steps, 0, [], redacted);
  }
  return { args: out, redacted };
}

/** Copy-on-write walk: only containers on a redacted path are copied. */
function redactAt(
  value: JsonValue,
  steps: readonly PathStep[],
  at: number,
  trail: (string | number)[],
  redacted: string[],
): JsonValue {
  const step = steps[at];
  if (step === undefined) {
    const concrete = formatPath(trail);
    // Already redacted by an earlier path: hashing the marker again would hide the original digest.
    if (redacted.includes(concrete)) return value;
    redacted.push(concrete);
    return canonicalDigest(value);
  }
  if (Array.isArray(value)) {
    if (step.kind === "key") return value;
    const indexes = step.kind === "any" ? value.map((_, i) => i) : [step.index];
    let copy: JsonValue[] | null = null;
    for (const i of indexes) {
      if (i >= value.length) continue;
      const next = redactAt(value[i]!, steps, at + 1, [...trail, i], redacted);
      if (next !== value[i]) {
        copy ??= value.slice();
        copy[i] = next;
      }
    }
    return copy ?? value;
  }
  if (value !== null && typeof value === "object") {
    if (step.kind === "index") return value;
    const keys = step.kind === "any" ? Object.keys(value) : [step.key];
    let copy: { [key: string]: JsonValue } | null = null;
    for (const key of keys) {
      if (!Object.hasOwn(value, key)) continue;
      const next = redactAt(value[key]!, steps, at + 1, [...trail, key], redacted);
      if (next !== value[key]) {
        copy ??= { ...value };
        // defineProperty, not assignment: a key named "__proto__" must stay a plain data property.
        Object.defineProperty(copy, key, {
          value: next,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
    return copy ?? value;
  }
  return value;
}
