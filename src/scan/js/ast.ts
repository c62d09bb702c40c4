// Small helpers over oxc's ESTree-compatible AST: a fast walk that skips type-only syntax, and node predicates.

import type {
  ArrowFunctionExpression,
  CallExpression,
  Expression,
  Function as FunctionNode,
  MemberExpression,
  NewExpression,
  Node,
} from "oxc-parser";
import { visitorKeys } from "oxc-parser";

export type { CallExpression, Expression, MemberExpression, NewExpression, Node };
export type FunctionLike = FunctionNode | ArrowFunctionExpression;

const TYPE_ONLY_KEYS = new Set([
  "typeAnnotation",
  "typeArguments",
  "typeParameters",
  "superTypeArguments",
  "returnType",
  "implements",
]);
const TYPE_ONLY_NODES = new Set(["TSInterfaceDeclaration", "TSTypeAliasDeclaration", "TSDeclareFunction"]);

const keysByType = new Map<string, string[]>(
  Object.entries(visitorKeys).map(([type, keys]) => [type, keys.filter((k) => !TYPE_ONLY_KEYS.has(k))]),
);

const isNode = (v: unknown): v is Node =>
  typeof v === "object" && v !== null && typeof (v as { type?: unknown }).type === "string";

/** Pre-order walk in source order; `enter` gets each node and its parent. Type-only syntax is skipped. */
export function walk(root: Node, enter: (node: Node, parent: Node | null) => void): void {
  const stack: (Node | null)[] = [root, null];
  while (stack.length > 0) {
    const parent = stack.pop() as Node | null;
    const node = stack.pop() as Node;
    if (TYPE_ONLY_NODES.has(node.type)) continue;
    enter(node, parent);
    const keys = keysByType.get(node.type);
    if (!keys) continue;
    const rec = node as unknown as Record<string, unknown>;
    for (let i = keys.length - 1; i >= 0; i--) {
      const child = rec[keys[i]!];
      if (Array.isArray(child)) {
        for (let j = child.length - 1; j >= 0; j--) {
          const c: unknown = child[j];
          if (isNode(c)) stack.push(c, node);
        }
      } else if (isNode(child)) stack.push(child, node);
    }
  }
}

/** Strips TS wrappers and parentheses that do not change the runtime value. */
export function unwrap(node: Node): Node {
  let n = node;
  while (
    n.type === "TSAsExpression" ||
    n.type === "TSSatisfiesExpression" ||
    n.type === "TSNonNullExpression" ||
    n.type === "ParenthesizedExpression" ||
    n.type === "AwaitExpression"
  ) {
    n = n.type === "AwaitExpression" ? n.argument : n.expression;
  }
  return n;
}

export function isFunctionLike(node: Node | undefined): node is FunctionLike {
  return (
    node?.type === "ArrowFunctionExpression" ||
    node?.type === "FunctionExpression" ||
    node?.type === "FunctionDeclaration"
  );
}

/** The static name of a member property (`a.b`, `a["b"]`), if it has one. */
export function memberName(m: MemberExpression): string | undefined {
  if (!m.computed && m.property.type === "Identifier") return m.property.name;
  const p = m.property;
  return p.type === "Literal" && typeof p.value === "string" ? p.value : undefined;
}

/** The value of a property of an object literal, looked up by its static key (the last one, as in JS). */
export function objectProp(node: Node | undefined, key: string): Node | undefined {
  const obj = node ? unwrap(node) : undefined;
  if (obj?.type !== "ObjectExpression") return undefined;
  let value: Node | undefined;
  for (const p of obj.properties) {
    if (p.type !== "Property" || p.computed) continue;
    const k = p.key.type === "Identifier" ? p.key.name : p.key.type === "Literal" ? String(p.key.value) : "";
    if (k === key) value = p.value;
  }
  return value;
}

/** Names bound by a binding pattern (`a`, `{ a, b: c }`, `[a, ...rest]`, `a = 1`). */
export function patternNames(node: Node | null | undefined, out: string[] = []): string[] {
  if (!node) return out;
  switch (node.type) {
    case "Identifier":
      out.push(node.name);
      break;
    case "ObjectPattern":
      for (const p of node.properties) patternNames(p.type === "RestElement" ? p.argument : p.value, out);
      break;
    case "ArrayPattern":
      for (const e of node.elements) patternNames(e, out);
      break;
    case "AssignmentPattern":
      patternNames(node.left, out);
      break;
    case "RestElement":
      patternNames(node.argument, out);
      break;
    case "TSParameterProperty":
      patternNames(node.parameter, out);
      break;
    default:
      break;
  }
  return out;
}

/** True when `expr` mentions one of `names` as a variable (not as a property name). */
export function references(expr: Node, names: ReadonlySet<string>): boolean {
  if (names.size === 0) return false;
  let found = false;
  walk(expr, (node, parent) => {
    if (found || node.type !== "Identifier" || !names.has(node.name)) return;
    if (parent?.type === "MemberExpression" && parent.property === node && !parent.computed) return;
    if (parent?.type === "Property" && parent.key === node && !parent.computed && !parent.shorthand) return;
    found = true;
  });
  return found;
}
