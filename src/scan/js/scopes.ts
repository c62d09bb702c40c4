// Lexical scopes of one JS/TS file: which declaration a name refers to at the place it is used.

import type { Node } from "./ast.js";

/** Where an imported name comes from: `imported` is a name, "default" or "*". */
export interface ImportBinding {
  source: string;
  imported: string;
}

/**
 * What a declared name holds: a module import, a known value (an initialiser, a function or class), or
 * something the rules cannot follow (a parameter, `let x;`, a catch binding) that still hides outer names.
 */
export type Binding =
  | { kind: "import"; imp: ImportBinding }
  | { kind: "value"; init: Node }
  | { kind: "opaque" };

export interface Scope {
  parent: Scope | undefined;
  names: Map<string, Binding>;
}

export interface Scopes {
  root: Node;
  parents: ReadonlyMap<Node, Node>;
  byNode: Map<Node, Scope>;
  /** The innermost scope around each node looked up so far: the rules ask about the same callees often. */
  around: Map<Node, Scope>;
}

const BLOCK_SCOPES = new Set([
  "BlockStatement",
  "ForStatement",
  "ForInStatement",
  "ForOfStatement",
  "CatchClause",
  "SwitchStatement",
  "StaticBlock",
]);
const FUNCTION_SCOPES = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"]);

const opensScope = (n: Node): boolean =>
  n.type === "Program" || FUNCTION_SCOPES.has(n.type) || BLOCK_SCOPES.has(n.type);
const opensFunctionScope = (n: Node): boolean => n.type === "Program" || FUNCTION_SCOPES.has(n.type);

function scopeFor(node: Node, s: Scopes): Scope {
  let scope = s.byNode.get(node);
  if (scope) return scope;
  const up = node === s.root ? undefined : s.parents.get(node);
  scope = { parent: up ? enclosing(up, s, opensScope, true) : undefined, names: new Map() };
  s.byNode.set(node, scope);
  return scope;
}

function enclosing(node: Node, s: Scopes, opens: (n: Node) => boolean, self: boolean): Scope {
  let n: Node | undefined = self ? node : s.parents.get(node);
  while (n && !opens(n)) n = s.parents.get(n);
  return scopeFor(n ?? s.root, s);
}

/** The innermost scope around `node` (a node made up by the rules, with no parent, is in the file's scope). */
export function scopeAround(node: Node, s: Scopes): Scope {
  let scope = s.around.get(node);
  if (!scope) {
    scope = enclosing(node, s, opensScope, false);
    s.around.set(node, scope);
  }
  return scope;
}

/** The scope a `var` or a parameter list belongs to: the nearest function, or the file. */
export const functionScopeAround = (node: Node, s: Scopes): Scope =>
  enclosing(node, s, opensFunctionScope, false);

/** The scope a function opens for its own parameters (and, for an expression, its own name). */
export const scopeOf = (fn: Node, s: Scopes): Scope => scopeFor(fn, s);

/** The binding `name` has where `at` is, or undefined when nothing in the file declares it there. */
export function lookup(name: string, at: Node, s: Scopes): Binding | undefined {
  for (let scope: Scope | undefined = scopeAround(at, s); scope; scope = scope.parent) {
    const found = scope.names.get(name);
    if (found) return found;
  }
  return undefined;
}
