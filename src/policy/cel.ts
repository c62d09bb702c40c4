// `when:` conditions: CEL compiled once at load, run against one call's activation, failing closed.
import { type CelInput, CelScalar, celEnv, isCelError, parse, plan } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { JsonValue } from "../json.js";
import { CONDITION_FUNCS, CONDITION_TYPES } from "./cel-lib/index.js";
import { argsRead } from "./cel-reads.js";
import type { EvalInput } from "./types.js";

const VARIABLES = {
  args: CelScalar.DYN,
  tool: CelScalar.STRING,
  agent: CelScalar.DYN,
  session: CelScalar.DYN,
  now: CelScalar.DYN,
} as const;

const ENV = celEnv({
  funcs: [...strings, ...CONDITION_FUNCS],
  registry: CONDITION_TYPES,
  variables: VARIABLES,
});

/** Identifiers that name CEL types (`type(x) == int`) rather than variables. */
const TYPE_NAMES = new Set([
  "int",
  "uint",
  "double",
  "bool",
  "string",
  "bytes",
  "list",
  "map",
  "null_type",
  "type",
  "dyn",
]);

type Expr = ReturnType<typeof parse>["expr"];
type Program = ReturnType<typeof plan<typeof VARIABLES>>;
/** Spelled out: the inferred binding type names a private symbol of @bufbuild/cel that declarations cannot. */
export type CelActivation = {
  args: CelInput;
  tool: string;
  agent: CelInput;
  session: CelInput;
  now: CelInput;
};

/** A compiled `when:`; `test` returns "error" for a run-time error or a non-bool result. */
export interface CelCondition {
  readonly source: string;
  /** JSON paths of the argument values the condition reads, or "all" when that cannot be told. */
  readonly argsRead: readonly string[] | "all";
  test(activation: CelActivation): boolean | "error";
}

/** Compiles `source`, or returns a message saying why it cannot be compiled. */
export function compileCondition(source: string): CelCondition | string {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (err) {
    return `bad CEL in when: ${syntaxMessage(err)}`;
  }
  const problem = checkNames(parsed.expr, new Set());
  if (problem !== null) return `bad CEL in when: ${problem}`;
  let program: Program;
  try {
    program = plan(ENV, parsed);
  } catch (err) {
    return `bad CEL in when: ${err instanceof Error ? err.message : String(err)}`;
  }
  return {
    source,
    argsRead: Object.freeze(argsRead(parsed.expr)),
    test(activation) {
      try {
        const result = program(activation as Parameters<Program>[0]);
        if (isCelError(result)) return "error";
        return typeof result === "boolean" ? result : "error";
      } catch {
        // The evaluator is meant to return errors, not throw them; treat a throw the same way.
        return "error";
      }
    },
  };
}

/** The parser's message without its `<input>:line:col:` prefix, with the place inside the expression. */
function syntaxMessage(err: unknown): string {
  const e = err as { rawMessage?: unknown; location?: { start?: { line?: unknown; column?: unknown } } };
  const start = e.location?.start;
  if (
    typeof e.rawMessage === "string" &&
    typeof start?.line === "number" &&
    typeof start.column === "number"
  ) {
    return `${e.rawMessage} (line ${start.line}, column ${start.column} of the expression)`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Unknown variables and functions only fail when a call reaches them, which would silently turn an
 * allow rule off (or a deny rule on) for every call. Catch the typos at load instead.
 */
function checkNames(expr: Expr | undefined, bound: Set<string>): string | null {
  if (expr === undefined) return null;
  const kind = expr.exprKind;
  switch (kind.case) {
    case "identExpr": {
      const name = kind.value.name;
      if (name in VARIABLES || bound.has(name) || TYPE_NAMES.has(name)) return null;
      return `unknown variable "${name}" (available: ${Object.keys(VARIABLES).join(", ")})`;
    }
    case "selectExpr":
      return checkNames(kind.value.operand, bound);
    case "callExpr": {
      const call = kind.value;
      const qualified = call.target === undefined ? undefined : qualifiedName(call.target);
      const isQualified =
        qualified !== undefined && ENV.funcs.find(`${qualified}.${call.function}`) !== undefined;
      // Operators (`_+_`, `@in`, `!_`, …) are not identifiers; the planner resolves them itself.
      if (!isQualified && /^[A-Za-z]/.test(call.function) && ENV.funcs.find(call.function) === undefined) {
        return `unknown function "${call.function}"`;
      }
      const parts = isQualified ? call.args : [call.target, ...call.args];
      for (const part of parts) {
        const problem = checkNames(part, bound);
        if (problem !== null) return problem;
      }
      return null;
    }
    case "listExpr":
      return first(kind.value.elements, bound);
    case "structExpr":
      return first(
        kind.value.entries.flatMap((e) => [
          e.keyKind.case === "mapKey" ? e.keyKind.value : undefined,
          e.value,
        ]),
        bound,
      );
    case "comprehensionExpr": {
      const c = kind.value;
      const inner = new Set([...bound, c.iterVar, c.iterVar2, c.accuVar]);
      return first([c.iterRange, c.accuInit], bound) ?? first([c.loopCondition, c.loopStep, c.result], inner);
    }
    default:
      return null;
  }
}

function first(exprs: readonly (Expr | undefined)[], bound: Set<string>): string | null {
  for (const e of exprs) {
    const problem = checkNames(e, bound);
    if (problem !== null) return problem;
  }
  return null;
}

function qualifiedName(expr: Expr): string | undefined {
  const kind = expr.exprKind;
  if (kind.case === "identExpr") return kind.value.name;
  if (kind.case === "selectExpr" && !kind.value.testOnly && kind.value.operand !== undefined) {
    const base = qualifiedName(kind.value.operand);
    return base === undefined ? undefined : `${base}.${kind.value.field}`;
  }
  return undefined;
}

/**
 * JSON → CEL. Safe integers become CEL `int` (bigint) and other numbers `double`, so `args.n > 100`
 * and `args.n > 100.5` both behave as a reader expects: @bufbuild/cel compares int and double
 * across types (`==`, `<`, `>` …), but arithmetic does not mix them (`args.n + 1` errors when n is
 * 1.5; write `double(args.n) + 1.0`). Objects become Maps so a key such as `$typeName` is plain data.
 */
export function jsonToCel(value: JsonValue): CelInput {
  if (typeof value === "number") return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(jsonToCel);
  const map = new Map<string, CelInput>();
  for (const [k, v] of Object.entries(value)) map.set(k, jsonToCel(v));
  return map;
}

/** The variables a `when:` sees. Built once per evaluation, and only if a matched rule has a `when:`. */
export function celActivation(
  input: EvalInput,
  team: string | null,
  developer: string | null,
): CelActivation {
  return {
    args: jsonToCel(input.args),
    tool: input.tool,
    agent: new Map<string, CelInput>([
      ["name", input.agent.name],
      ["team", team],
      ["developer", developer],
    ]),
    session: new Map<string, CelInput>([
      ["id", input.session.id],
      ["onBehalfOf", input.session.onBehalfOf],
      ["intent", input.session.intent],
      ["parent", input.session.parent],
    ]),
    now: timestampFromDate(input.now),
  };
}
