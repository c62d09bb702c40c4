// What changed between a pinned definition and the one seen since: one line per JSON path that differs.
import { canonicalJson } from "../../digest.js";
import type { JsonValue } from "../../json.js";

export interface DefinitionChange {
  /** `description`, `annotations.destructiveHint`, `inputSchema.properties.path.description`, … */
  path: string;
  before: JsonValue | undefined;
  after: JsonValue | undefined;
}

/** Paths whose values differ; `before` null means the pin does not record its definition (every path is new). */
export function definitionDiff(before: JsonValue | null, after: JsonValue | null): DefinitionChange[] {
  const out: DefinitionChange[] = [];
  walk("", before ?? undefined, after ?? undefined, out);
  return out;
}

const isObject = (v: JsonValue | undefined): v is { [key: string]: JsonValue } =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function walk(
  path: string,
  a: JsonValue | undefined,
  b: JsonValue | undefined,
  out: DefinitionChange[],
): void {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) walk(path === "" ? k : `${path}.${k}`, a[k], b[k], out);
    return;
  }
  if (isObject(b) && a === undefined) {
    for (const k of Object.keys(b).sort()) walk(path === "" ? k : `${path}.${k}`, undefined, b[k], out);
    return;
  }
  const same = a !== undefined && b !== undefined && canonicalJson(a) === canonicalJson(b);
  if (!same && !(a === undefined && b === undefined))
    out.push({ path: path || "(whole)", before: a, after: b });
}

/** `- path: before` / `+ path: after` lines, values as JSON cut to `width` characters. */
export function formatDiff(changes: readonly DefinitionChange[], width = 200): string[] {
  const show = (v: JsonValue | undefined) => {
    const text = JSON.stringify(v);
    return text.length > width ? `${text.slice(0, width)}…` : text;
  };
  const lines: string[] = [];
  for (const c of changes) {
    if (c.before !== undefined) lines.push(`- ${c.path}: ${show(c.before)}`);
    if (c.after !== undefined) lines.push(`+ ${c.path}: ${show(c.after)}`);
  }
  return lines;
}
