// Checks `when:` conditions against the argument schemas declared under `tools:` (Cedar-style validation).
import { parse } from "@bufbuild/cel";
import { compileGlobs, globProblem } from "../config/index.js";
import { argsChain, type Step } from "./cel-reads.js";
import type { RawIssue } from "./locate.js";

type Expr = NonNullable<ReturnType<typeof parse>["expr"]>;
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The CEL literal kinds a comparison with a JSON Schema `type` may use; numbers compare across int and double. */
const LITERALS_FOR: Record<string, readonly string[]> = {
  integer: ["int64Value", "uint64Value", "doubleValue"],
  number: ["int64Value", "uint64Value", "doubleValue"],
  string: ["stringValue"],
  boolean: ["boolValue"],
  array: [],
  object: [],
};
const LITERAL_NAMES: Record<string, string> = {
  int64Value: "an int",
  uint64Value: "a uint",
  doubleValue: "a double",
  stringValue: "a string",
  boolValue: "a bool",
  bytesValue: "bytes",
};
const COMPARISONS = new Set(["_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_"]);

/** One step of an `args…` chain: a field name or a constant list index. */
interface ArgsRef {
  steps: Step[];
  /** The schema of the value the chain reaches, or null when the schema does not say. */
  schema: Obj | null;
}

/**
 * For every rule with a `when:` whose tool globs match a `tools:` entry that declares `args` (a JSON
 * Schema), an error for a comparison of an argument with a literal of the wrong type and a warning for
 * an argument field the schema does not have. Runs on the raw document and skips whatever is
 * malformed or cannot be typed: zod and the CEL compiler report those, and no guess becomes an error.
 */
export function checkArgTypes(doc: unknown): RawIssue[] {
  if (!isObj(doc) || !isObj(doc.tools) || !Array.isArray(doc.rules)) return [];
  const schemas = Object.entries(doc.tools).flatMap(([tool, entry]) =>
    isObj(entry) && isObj(entry.args) ? [{ tool, args: entry.args }] : [],
  );
  if (schemas.length === 0) return [];
  const issues: RawIssue[] = [];
  doc.rules.forEach((rule, i) => {
    if (!isObj(rule) || typeof rule.when !== "string") return;
    const globs = ruleGlobs(rule);
    if (globs === null) return;
    const applies = compileGlobs(globs);
    let expr: Expr | undefined;
    try {
      expr = parse(rule.when).expr;
    } catch {
      return;
    }
    if (expr === undefined) return;
    const seen = new Set<string>();
    for (const { tool, args } of schemas) {
      if (!applies(tool) && !globs.includes(tool)) continue;
      for (const found of checkExpr(expr, tool, args)) {
        if (seen.has(found.message)) continue;
        seen.add(found.message);
        issues.push({ path: ["rules", i, "when"], ...found });
      }
    }
  });
  return issues;
}

function ruleGlobs(rule: Obj): string[] | null {
  const list = Array.isArray(rule.tools) ? rule.tools : typeof rule.tool === "string" ? [rule.tool] : [];
  const globs = list.filter((g): g is string => typeof g === "string" && globProblem(g) === null);
  return globs.length === 0 ? null : globs;
}

function checkExpr(root: Expr, tool: string, schema: Obj): Omit<RawIssue, "path">[] {
  const found: Omit<RawIssue, "path">[] = [];
  const unknownField = (e: Expr): void => {
    const chain = argsChain(e);
    if (chain === null) return;
    const problem = resolve(chain, schema, tool);
    if (typeof problem === "string") found.push({ message: problem, severity: "warning" });
  };
  const walk = (e: Expr | undefined): void => {
    if (e === undefined) return;
    const kind = e.exprKind;
    if (argsChain(e) !== null) {
      unknownField(e);
      return;
    }
    switch (kind.case) {
      case "selectExpr":
        walk(kind.value.operand);
        return;
      case "callExpr": {
        const call = kind.value;
        if (call.target === undefined && COMPARISONS.has(call.function) && call.args.length === 2) {
          const [a, b] = call.args as [Expr, Expr];
          const mismatch = compareProblem(a, b, schema, tool) ?? compareProblem(b, a, schema, tool);
          if (mismatch !== null) found.push({ message: mismatch });
        }
        if (call.target === undefined && call.function === "@in" && call.args.length === 2) {
          const [needle, list] = call.args as [Expr, Expr];
          if (list.exprKind.case === "listExpr") {
            for (const element of list.exprKind.value.elements) {
              const mismatch = compareProblem(needle, element, schema, tool);
              if (mismatch !== null) {
                found.push({ message: mismatch });
                break;
              }
            }
          }
        }
        walk(call.target);
        call.args.forEach(walk);
        return;
      }
      case "listExpr":
        kind.value.elements.forEach(walk);
        return;
      case "structExpr":
        for (const entry of kind.value.entries) {
          if (entry.keyKind.case === "mapKey") walk(entry.keyKind.value);
          walk(entry.value);
        }
        return;
      case "comprehensionExpr": {
        const c = kind.value;
        // A comprehension variable named `args` would shadow the arguments: nothing inside is typed.
        if ([c.iterVar, c.iterVar2, c.accuVar].includes("args")) return;
        [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result].forEach(walk);
        return;
      }
      default:
        return;
    }
  };
  walk(root);
  return found;
}

/** An error message when `side` is an argument of a known type compared with a literal it can never equal or order against. */
function compareProblem(side: Expr, other: Expr, schema: Obj, tool: string): string | null {
  const chain = argsChain(side);
  if (chain === null || other.exprKind.case !== "constExpr") return null;
  const literal = other.exprKind.value.constantKind;
  // null is left alone: `args.cc == null` is how a condition asks whether a field is set.
  if (literal.case === undefined || literal.case === "nullValue") return null;
  const ref = resolve(chain, schema, tool);
  if (typeof ref === "string" || ref.schema === null) return null;
  const types = schemaTypes(ref.schema);
  if (types === null) return null;
  if (types.some((t) => LITERALS_FOR[t]?.includes(literal.case) !== false)) return null;
  const shown = literal.case === "stringValue" ? JSON.stringify(literal.value) : String(literal.value);
  return (
    `${chainText(chain)} is ${types.join(" or ")} in the args schema of tool "${tool}", ` +
    `but is compared with ${LITERAL_NAMES[literal.case] ?? literal.case} (${shown})`
  );
}

/** The JSON Schema types a schema allows, or null when it does not say (no `type`, or one this checker does not know). */
function schemaTypes(schema: Obj): string[] | null {
  const t = schema.type;
  const list = typeof t === "string" ? [t] : Array.isArray(t) ? t : null;
  if (list === null || list.length === 0) return null;
  const known = list.filter((x): x is string => typeof x === "string" && x !== "null");
  if (known.length !== list.filter((x) => x !== "null").length) return null;
  if (known.some((x) => !(x in LITERALS_FOR))) return null;
  return known.length === 0 ? null : known;
}

/**
 * Follows `steps` through `properties` and `items`. A field that an object schema with `properties`
 * does not list (and whose `additionalProperties` does not allow more) gives a message; anything the
 * schema leaves open gives `schema: null`.
 */
function resolve(steps: readonly Step[], root: Obj, tool: string): ArgsRef | string {
  let schema: Obj | null = root;
  for (let i = 0; i < steps.length && schema !== null; i++) {
    const step = steps[i]!;
    if ("index" in step) {
      schema = isObj(schema.items) ? schema.items : null;
      continue;
    }
    const properties: unknown = schema.properties;
    if (!isObj(properties)) {
      schema = isObj(schema.additionalProperties) ? schema.additionalProperties : null;
      continue;
    }
    if (Object.hasOwn(properties, step.key)) {
      const next: unknown = properties[step.key];
      schema = isObj(next) ? next : null;
      continue;
    }
    const extra: unknown = schema.additionalProperties;
    if (extra === true) return { steps: [...steps], schema: null };
    if (isObj(extra)) {
      schema = extra;
      continue;
    }
    const fields = Object.keys(properties).join(", ");
    return `${chainText(steps.slice(0, i + 1))} is not a field of the args schema of tool "${tool}" (fields: ${fields || "none"})`;
  }
  return { steps: [...steps], schema };
}

function chainText(steps: readonly Step[]): string {
  return `args${steps.map((s) => ("key" in s ? (/^[A-Za-z_]\w*$/.test(s.key) ? `.${s.key}` : `[${JSON.stringify(s.key)}]`) : `[${s.index}]`)).join("")}`;
}
