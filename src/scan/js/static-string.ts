// Compile-time strings in JS/TS: literals, templates without substitutions, `+` of them, const names.

import { type Node, unwrap } from "./ast.js";

/** The value of an expression that is a compile-time string, or undefined. */
export function staticString(node: Node, consts: ReadonlyMap<string, string>): string | undefined {
  const n = unwrap(node);
  switch (n.type) {
    case "Literal":
      return typeof n.value === "string"
        ? n.value
        : typeof n.value === "number"
          ? String(n.value)
          : undefined;
    case "TemplateLiteral":
      return n.expressions.length === 0 ? (n.quasis[0]?.value.cooked ?? undefined) : undefined;
    case "Identifier":
      return consts.get(n.name);
    case "BinaryExpression": {
      if (n.operator !== "+") return undefined;
      const l = staticString(n.left, consts);
      const r = l === undefined ? undefined : staticString(n.right, consts);
      return l === undefined || r === undefined ? undefined : l + r;
    }
    default:
      return undefined;
  }
}

/** The constant text an expression starts with (`"https://x/" + p` → "https://x/"). */
export function staticPrefix(node: Node, consts: ReadonlyMap<string, string>): string {
  const n = unwrap(node);
  const whole = staticString(n, consts);
  if (whole !== undefined) return whole;
  if (n.type === "TemplateLiteral") {
    let out = "";
    for (let i = 0; i < n.quasis.length; i++) {
      out += n.quasis[i]?.value.cooked ?? "";
      const expr = n.expressions[i];
      if (!expr) break;
      const part = staticString(expr, consts);
      if (part === undefined) return out + staticPrefix(expr, consts);
      out += part;
    }
    return out;
  }
  if (n.type === "BinaryExpression" && n.operator === "+") {
    const l = staticString(n.left, consts);
    return l === undefined ? staticPrefix(n.left, consts) : l + staticPrefix(n.right, consts);
  }
  return "";
}
