// Which argument fields a compiled `when:` reads: a remembered approval must re-check them all.
import type { parse } from "@bufbuild/cel";

type Expr = NonNullable<ReturnType<typeof parse>["expr"]>;
/** One step of an `args…` chain: a field, or an array index. */
export type Step = { key: string } | { index: number };

/**
 * The JSON paths (`$["to"]`, `$["items"][0]`) of every argument value the expression reads, or "all"
 * when it reads the arguments in a way a path cannot name (`size(args)`, `args[k]` with a computed
 * key, `args.exists(…)`): a path is the longest `args.a.b` / `args["a"][0]` chain, so the value there
 * is read in full and nothing below it needs its own path.
 */
export function argsRead(expr: Expr | undefined): string[] | "all" {
  const paths = new Set<string>();
  const walk = (e: Expr | undefined): boolean => {
    if (e === undefined) return true;
    const chain = argsChain(e);
    if (chain !== null) {
      if (chain.length === 0) return false;
      paths.add(toJsonPath(chain));
      return true;
    }
    const kind = e.exprKind;
    switch (kind.case) {
      case "identExpr":
        // `args` itself outside a chain (also a comprehension variable of that name: unsure, so all).
        return kind.value.name !== "args";
      case "selectExpr":
        return walk(kind.value.operand);
      case "callExpr":
        return walk(kind.value.target) && kind.value.args.every(walk);
      case "listExpr":
        return kind.value.elements.every(walk);
      case "structExpr":
        return kind.value.entries.every(
          (entry) => (entry.keyKind.case !== "mapKey" || walk(entry.keyKind.value)) && walk(entry.value),
        );
      case "comprehensionExpr": {
        const c = kind.value;
        return [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result].every(walk);
      }
      case "constExpr":
        return true;
      default:
        // An expression kind this walker does not know: it may read anything.
        return false;
    }
  };
  return walk(expr) ? [...paths].sort() : "all";
}

/** The steps of an `args…` chain of field selections (`has()` too) and constant indexes, or null if `e` is not one. */
export function argsChain(e: Expr): Step[] | null {
  const kind = e.exprKind;
  if (kind.case === "identExpr") return kind.value.name === "args" ? [] : null;
  if (kind.case === "selectExpr" && kind.value.operand !== undefined) {
    const base = argsChain(kind.value.operand);
    return base === null ? null : [...base, { key: kind.value.field }];
  }
  if (kind.case === "callExpr" && kind.value.function === "_[_]" && kind.value.target === undefined) {
    const [operand, index] = kind.value.args;
    if (operand === undefined || index === undefined) return null;
    const base = argsChain(operand);
    const step = constantStep(index);
    return base === null || step === null ? null : [...base, step];
  }
  return null;
}

function constantStep(e: Expr): Step | null {
  if (e.exprKind.case !== "constExpr") return null;
  const constant = e.exprKind.value.constantKind;
  if (constant.case === "stringValue") return { key: constant.value };
  if (constant.case === "int64Value" || constant.case === "uint64Value") {
    const n = Number(constant.value);
    // Within what a JSON path index may hold; a larger one falls back to the shorter chain.
    return Number.isSafeInteger(n) && n >= 0 && n <= 999_999_999 ? { index: n } : null;
  }
  return null;
}

function toJsonPath(steps: readonly Step[]): string {
  return `$${steps.map((s) => ("key" in s ? `[${JSON.stringify(s.key)}]` : `[${s.index}]`)).join("")}`;
}
