// Which expressions stand for the global evaluators `eval` and `Function`, however they are reached.

import { type Node, unwrap } from "./ast.js";
import {
  boundFunction,
  declaredValue,
  type FileBindings,
  isUnbound,
  objectMember,
  returnedValues,
} from "./bindings.js";
import { staticString } from "./static-string.js";

export type Evaluator = "eval" | "Function";

const GLOBAL_OBJECTS = new Set(["globalThis", "window", "global", "self"]);

function key(m: Node & { type: "MemberExpression" }, b: FileBindings): string | undefined {
  if (!m.computed && m.property.type === "Identifier") return m.property.name;
  return staticString(m.property as Node, b.constStrings);
}

/**
 * `eval` or `Function` when `node` evaluates to that global: the bare name, `globalThis.eval`,
 * `window["ev" + "al"]`, `(0, eval)`, `eval.bind(null)`, a variable bound to one of these (`const e = eval`), an
 * object literal's property holding one, what a function returns when that is one, and for
 * `Function` also `Function.prototype.constructor`, `(() => {}).constructor` and `x.constructor.constructor`.
 */
export function globalEvaluator(node: Node, b: FileBindings, depth = 0): Evaluator | undefined {
  const n = unwrap(node);
  if (depth > 4) return undefined;
  switch (n.type) {
    case "Identifier": {
      if ((n.name === "eval" || n.name === "Function") && isUnbound(n, b)) return n.name;
      const init = declaredValue(n, b);
      if (!init || init.type === "FunctionDeclaration" || init.type === "ClassDeclaration") return undefined;
      return globalEvaluator(init, b, depth + 1);
    }
    case "CallExpression": {
      const bound = boundFunction(n);
      if (bound) return globalEvaluator(bound, b, depth + 1);
      for (const value of returnedValues(n.callee, b)) {
        const found = globalEvaluator(value, b, depth + 1);
        if (found) return found;
      }
      return undefined;
    }
    case "SequenceExpression": {
      const last = n.expressions[n.expressions.length - 1];
      return last ? globalEvaluator(last, b, depth + 1) : undefined;
    }
    case "MemberExpression": {
      const name = key(n, b);
      const o = unwrap(n.object);
      if (name === "eval" || name === "Function") {
        if (o.type === "Identifier" && GLOBAL_OBJECTS.has(o.name) && isUnbound(o, b)) return name;
      }
      const member = name === undefined ? undefined : objectMember(o, name, b);
      if (member) return globalEvaluator(member, b, depth + 1);
      if (name === "eval" || name === "Function") return undefined;
      if (name !== "constructor") return undefined;
      // Every function's constructor is Function (or AsyncFunction, GeneratorFunction: evaluators too).
      if (o.type === "ArrowFunctionExpression" || o.type === "FunctionExpression") return "Function";
      if (o.type !== "MemberExpression") return undefined;
      if (key(o, b) === "constructor") return "Function";
      return key(o, b) === "prototype" && globalEvaluator(o.object, b, depth + 1) === "Function"
        ? "Function"
        : undefined;
    }
    default:
      return undefined;
  }
}
