// What remembering an approval would let through, in words an approver reads before choosing it.

import { type PathStep, parseJsonPath } from "../config/index.js";
import type { JsonValue } from "../json.js";
import { valuesAt } from "./digest.js";

/** The sentence for each choice the dashboard offers; `covers` is what a remembered approval matches. */
export interface ScopeWords {
  covers: string;
  once: string;
  session: string;
  "1h": string;
}

const MAX_VALUE = 80;

/**
 * `paths` null: the exact arguments. Otherwise the values at the paths as recorded (a redacted value
 * reads as its digest) and a note of which other arguments may then differ.
 */
export function scopeWords(tool: string, args: JsonValue, paths: readonly string[] | null): ScopeWords {
  const covers = coversText(tool, args, paths);
  return {
    covers,
    once: "this call only",
    session: forSession(covers),
    "1h": forTime(covers, 3_600_000),
  };
}

export function forSession(covers: string): string {
  return `${covers}, for the rest of this session`;
}

export function forTime(covers: string, ms: number): string {
  return `${covers}, for ${inWords(ms)}, in this session`;
}

function coversText(tool: string, args: JsonValue, paths: readonly string[] | null): string {
  const calls = `later \`${tool}\` calls`;
  if (paths === null) return `${calls} with exactly these arguments`;
  const fixed: string[] = [];
  const fixedTop = new Set<string>();
  for (const path of paths) {
    const steps = parseJsonPath(path);
    if (typeof steps === "string") return `${calls} with exactly these arguments`;
    const first = steps[0];
    if (first?.kind === "key") fixedTop.add(first.key);
    const values = valuesAt(args, steps);
    const label = labelOf(steps);
    if (values.length === 0) fixed.push(`no ${label}`);
    else fixed.push(`${label} ${values.length === 1 ? show(values[0]!) : values.map(show).join(", ")}`);
  }
  const others =
    args !== null && typeof args === "object" && !Array.isArray(args)
      ? Object.keys(args).filter((k) => !fixedTop.has(k))
      : [];
  const rest =
    others.length === 0
      ? "any other arguments"
      : `any ${others.length === 1 ? others[0] : `${others.slice(0, -1).join(", ")} and ${others.at(-1)}`} and other arguments`;
  return `${calls} with ${fixed.join(", ")}, and ${rest}`;
}

/** `to`, `items[0].name`, `items[*]`. */
function labelOf(steps: readonly PathStep[]): string {
  let out = "";
  for (const step of steps) {
    if (step.kind === "key")
      out += /^[A-Za-z_][A-Za-z0-9_]*$/.test(step.key) ? `.${step.key}` : `[${JSON.stringify(step.key)}]`;
    else out += step.kind === "index" ? `[${step.index}]` : "[*]";
  }
  return out.startsWith(".") ? out.slice(1) : out;
}

function show(value: JsonValue): string {
  const text = JSON.stringify(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** 1 hour, 90 minutes, 45 seconds. */
function inWords(ms: number): string {
  const unit = (n: number, name: string) => `${n} ${name}${n === 1 ? "" : "s"}`;
  if (ms % 3_600_000 === 0) return unit(ms / 3_600_000, "hour");
  if (ms % 60_000 === 0) return unit(ms / 60_000, "minute");
  return unit(Math.ceil(ms / 1_000), "second");
}
