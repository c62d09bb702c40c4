// What names in one JS/TS file stand for: imports, require()s, aliases, const strings, declared values.

import { isFunctionLike, memberName, type Node, objectProp, patternNames, unwrap, walk } from "./ast.js";
import {
  type Binding,
  functionScopeAround,
  type ImportBinding,
  lookup,
  type Scope,
  type Scopes,
  scopeAround,
  scopeOf,
} from "./scopes.js";
import { staticString } from "./static-string.js";

export type { ImportBinding };

/** A callee resolved to a module member: `name` is "" for the module itself, dotted for nested members. */
export interface Resolved {
  source: string;
  name: string;
}

export interface FileBindings {
  /** File-wide, last one wins: what the tool finder looks names up in. The rules look up by scope (`bindingOf`). */
  imports: Map<string, ImportBinding>;
  /** `const X = "literal"` anywhere in the file (scope-insensitive, by design: a heuristic). */
  constStrings: Map<string, string>;
  /** Initialiser of each declared variable, and each function declaration (last one wins). */
  values: Map<string, Node>;
  /** Every call, `new` and `import()` expression, in source order. */
  calls: Node[];
  classes: Node[];
  parents: Map<Node, Node>;
  scopes: Scopes;
}

export const normalizeSource = (s: string): string => (s.startsWith("node:") ? s.slice(5) : s);

const stringOf = (node: Node | null | undefined): string | undefined =>
  node?.type === "Literal" && typeof node.value === "string" ? node.value : undefined;

/**
 * The name argument of a module load: `import(x)`, `require(x)`, `module.require(x)`,
 * `process.mainModule.require(x)`, `require.main.require(x)`, `createRequire(…)(x)` or a name bound to one
 * of those loaders (`const r = createRequire(import.meta.url)`). `null` when the load has no argument.
 */
export function loadedName(node: Node | null | undefined, b: FileBindings): Node | null | undefined {
  if (!node) return undefined;
  const n = unwrap(node);
  if (n.type === "ImportExpression") return n.source;
  if (n.type !== "CallExpression" || !isLoader(n.callee, b, 0)) return undefined;
  const first = n.arguments[0];
  return first === undefined || first.type === "SpreadElement" ? null : first;
}

/** What the identifier `id` refers to where it stands, or undefined for a name the file does not declare. */
export const bindingOf = (id: Node & { type: "Identifier" }, b: FileBindings): Binding | undefined =>
  lookup(id.name, id, b.scopes);

/** True when `id` is a name nothing in scope declares or imports: a use of it is the global. */
export const isUnbound = (id: Node & { type: "Identifier" }, b: FileBindings): boolean =>
  bindingOf(id, b) === undefined;

/** The initialiser (or function, or class) `id` refers to, when it is a declared value. */
export function declaredValue(id: Node & { type: "Identifier" }, b: FileBindings): Node | undefined {
  const found = bindingOf(id, b);
  return found?.kind === "value" ? found.init : undefined;
}

/** Whether `callee` is a CommonJS loader (see `loadedName`). */
function isLoader(callee: Node, b: FileBindings, depth: number): boolean {
  const n = unwrap(callee);
  if (depth > 4) return false;
  if (n.type === "Identifier") {
    if (n.name === "require" && isUnbound(n, b)) return true;
    const init = declaredValue(n, b);
    return init !== undefined && init.type !== "FunctionDeclaration" && isLoader(init, b, depth + 1);
  }
  if (n.type === "CallExpression") {
    const r = resolveCallee(n.callee, b, depth + 1);
    return r?.source === "module" && (r.name === "createRequire" || r.name === "createRequireFromPath");
  }
  if (n.type !== "MemberExpression" || memberKey(n, b) !== "require") return false;
  // `module.require`, `process.mainModule.require`, `require.main.require`.
  const o = unwrap(n.object);
  if (o.type === "Identifier") return o.name === "module" && isUnbound(o, b);
  if (o.type !== "MemberExpression") return false;
  const base = unwrap(o.object);
  const key = memberKey(o, b);
  return (
    base.type === "Identifier" &&
    isUnbound(base, b) &&
    ((base.name === "process" && key === "mainModule") || (base.name === "require" && key === "main"))
  );
}

/** A load with a compile-time module name (`require("child_" + "process")`): that name. */
export function requiredModule(node: Node | null | undefined, b: FileBindings): string | undefined {
  const arg = loadedName(node, b);
  return arg ? staticString(arg, b.constStrings) : undefined;
}

/** A member's property name: static (`a.b`, `a["b"]`, `a["b" + "c"]`), or COMPUTED when it is not. */
function memberKey(m: Node & { type: "MemberExpression" }, b: FileBindings): string {
  if (!m.computed && m.property.type === "Identifier") return m.property.name;
  return staticString(m.property as Node, b.constStrings) ?? COMPUTED;
}

/** The name a member call resolves to when its property is chosen at run time (`cp[method](…)`). */
export const COMPUTED = "[computed]";

/** Records `name` in `scope`, and in the file-wide maps the tool finder reads. */
function declare(scope: Scope, name: string, binding: Binding, b: FileBindings): void {
  scope.names.set(name, binding);
  if (binding.kind === "import") b.imports.set(name, binding.imp);
  else if (binding.kind === "value") b.values.set(name, binding.init);
}

/** Names a declaration introduces without a value the rules can follow: they still hide outer names. */
function declareOpaque(id: Node | null | undefined, scope: Scope, b: FileBindings): void {
  for (const name of patternNames(id))
    if (!scope.names.has(name)) declare(scope, name, { kind: "opaque" }, b);
}

function bindDeclarator(id: Node, init: Node, scope: Scope, b: FileBindings): void {
  const mod = requiredModule(init, b);
  if (mod !== undefined) {
    const source = normalizeSource(mod);
    if (id.type === "Identifier")
      declare(scope, id.name, { kind: "import", imp: { source, imported: "*" } }, b);
    else if (id.type === "ObjectPattern") {
      for (const p of id.properties) {
        if (p.type !== "Property" || p.value.type !== "Identifier") continue;
        const key = p.key.type === "Identifier" ? p.key.name : stringOf(p.key as Node);
        if (key) declare(scope, p.value.name, { kind: "import", imp: { source, imported: key } }, b);
      }
    }
    declareOpaque(id, scope, b);
    return;
  }
  if (id.type === "Identifier") {
    declare(scope, id.name, { kind: "value", init }, b);
    return;
  }
  const source = unwrap(init);
  const fromObject = source.type === "Identifier" || source.type === "MemberExpression";
  if (id.type === "ObjectPattern" && fromObject) {
    // `const { exec } = cp` reads a member: remember it as `cp.exec`.
    for (const p of id.properties) {
      if (p.type !== "Property" || p.value.type !== "Identifier" || p.computed) continue;
      const key = p.key.type === "Identifier" ? p.key.name : stringOf(p.key as Node);
      if (!key) continue;
      const member = {
        type: "MemberExpression",
        object: source,
        property: { type: "Identifier", name: key },
      };
      const init = { ...member, computed: false, optional: false, start: p.start, end: p.end } as Node;
      declare(scope, p.value.name, { kind: "value", init }, b);
    }
    declareOpaque(id, scope, b);
    return;
  }
  for (const name of patternNames(id)) declare(scope, name, { kind: "value", init }, b);
}

/** One walk over the program that records everything the rules look names up in. */
export function collectBindings(program: Node): FileBindings {
  const b: FileBindings = {
    imports: new Map(),
    constStrings: new Map(),
    values: new Map(),
    calls: [],
    classes: [],
    parents: new Map(),
    scopes: { root: program, parents: new Map(), byNode: new Map(), around: new Map() },
  };
  b.scopes.parents = b.parents;
  const fileScope = scopeOf(program, b.scopes);
  const importBinding = (source: string, imported: string): Binding => ({
    kind: "import",
    imp: { source: normalizeSource(source), imported },
  });
  walk(program, (node, parent) => {
    if (parent) b.parents.set(node, parent);
    if (isFunctionLike(node)) {
      const own = scopeOf(node, b.scopes);
      for (const p of node.params) declareOpaque(p as Node, own, b);
      if (node.id && node.type !== "FunctionDeclaration")
        declare(own, node.id.name, { kind: "value", init: node }, b);
    }
    switch (node.type) {
      case "ImportDeclaration":
        for (const s of node.specifiers) {
          const imported =
            s.type === "ImportSpecifier"
              ? s.imported.type === "Literal"
                ? s.imported.value
                : s.imported.name
              : s.type === "ImportDefaultSpecifier"
                ? "default"
                : "*";
          declare(fileScope, s.local.name, importBinding(node.source.value, imported), b);
        }
        break;
      case "TSImportEqualsDeclaration":
        if (node.moduleReference.type === "TSExternalModuleReference") {
          declare(fileScope, node.id.name, importBinding(node.moduleReference.expression.value, "*"), b);
        }
        break;
      case "VariableDeclaration": {
        const scope = node.kind === "var" ? functionScopeAround(node, b.scopes) : scopeAround(node, b.scopes);
        for (const d of node.declarations) {
          if (!d.init) {
            declareOpaque(d.id, scope, b);
            continue;
          }
          bindDeclarator(d.id, d.init, scope, b);
          const s =
            d.id.type === "Identifier" && node.kind === "const"
              ? staticString(d.init, b.constStrings)
              : undefined;
          if (s !== undefined && d.id.type === "Identifier") b.constStrings.set(d.id.name, s);
        }
        break;
      }
      case "CatchClause":
        declareOpaque(node.param, scopeOf(node, b.scopes), b);
        break;
      case "FunctionDeclaration":
      case "ClassDeclaration":
        if (node.id) declare(scopeAround(node, b.scopes), node.id.name, { kind: "value", init: node }, b);
        if (node.type === "ClassDeclaration") b.classes.push(node);
        break;
      case "ClassExpression":
        b.classes.push(node);
        break;
      case "CallExpression":
      case "NewExpression":
      case "ImportExpression":
        b.calls.push(node);
        break;
      default:
        break;
    }
  });
  bindCallbackParams(b);
  return b;
}

/** Array methods whose callback receives each element as its first parameter. */
const ELEMENT_CALLBACKS = new Set(["forEach", "map", "flatMap", "filter", "find", "some", "every"]);

/** A value the rules can follow: a module load, or a name or member that resolves to a module. */
const carriesModule = (node: Node, b: FileBindings): boolean =>
  requiredModule(node, b) !== undefined || resolveCallee(node, b) !== undefined;

/** Binds parameter `index` of the function `fn` (if it is one) as if declared with `value`. */
function bindParam(fn: Node | undefined, index: number, value: Node, b: FileBindings): void {
  const f = fn ? unwrap(fn) : undefined;
  if (!isFunctionLike(f)) return;
  const param = f.params[index] as Node | undefined;
  const id = param?.type === "AssignmentPattern" ? param.left : param;
  if (id) bindDeclarator(id, value, scopeOf(f, b.scopes), b);
}

/**
 * Follows a module into the callbacks it is handed to: `import("x").then((m) => …)`,
 * `[require("x")].forEach((m) => …)`, `((m) => …)(require("x"))`, and a function of this file called with
 * one (`function run(m) { … } run(require("x"))`). Runs after the walk, when every declaration is known.
 */
function bindCallbackParams(b: FileBindings): void {
  for (const call of b.calls) {
    if (call.type !== "CallExpression") continue;
    const args = call.arguments as Node[];
    const callee = unwrap(call.callee);
    if (callee.type === "MemberExpression") {
      const method = memberName(callee);
      const target = unwrap(callee.object);
      if (method === "then" && args[0] && carriesModule(target, b)) bindParam(args[0], 0, target, b);
      if (method && ELEMENT_CALLBACKS.has(method) && target.type === "ArrayExpression") {
        const element = target.elements.find(
          (e) => e !== null && e.type !== "SpreadElement" && carriesModule(e as Node, b),
        );
        if (element) bindParam(args[0], 0, element as Node, b);
      }
      continue;
    }
    const fn = isFunctionLike(callee)
      ? callee
      : callee.type === "Identifier"
        ? declaredValue(callee, b)
        : undefined;
    if (!fn || !isFunctionLike(unwrap(fn))) continue;
    args.forEach((a, i) => {
      if (a.type !== "SpreadElement" && carriesModule(a, b)) bindParam(fn, i, a, b);
    });
  }
}

/** Resolves a callee (`exec`, `cp.exec`, `fs.promises.rm`, `require("x").y`) to a module member. */
export function resolveCallee(callee: Node, b: FileBindings, depth = 0): Resolved | undefined {
  const n = unwrap(callee);
  if (depth > 4) return undefined;
  if (n.type === "Identifier") {
    const found = bindingOf(n, b);
    if (found?.kind === "import")
      return {
        source: found.imp.source,
        name: found.imp.imported === "*" || found.imp.imported === "default" ? "" : found.imp.imported,
      };
    const alias = found?.kind === "value" ? found.init : undefined;
    if (alias && alias.type !== "FunctionDeclaration" && alias.type !== "ClassDeclaration") {
      const a = unwrap(alias);
      if (a.type === "Identifier" || a.type === "MemberExpression" || a.type === "CallExpression")
        return resolveCallee(a, b, depth + 1);
    }
    return undefined;
  }
  if (n.type === "CallExpression") {
    // `promisify(exec)`, `cp.exec.bind(cp)` and `pick()` whose one return is `cp.exec` stand for exec.
    if (isPromisify(n.callee, b) && n.arguments[0])
      return resolveCallee(n.arguments[0] as Node, b, depth + 1);
    const bound = boundFunction(n);
    if (bound) return resolveCallee(bound, b, depth + 1);
    for (const value of returnedValues(n.callee, b)) {
      const r = resolveCallee(value, b, depth + 1);
      if (r) return r;
    }
    return undefined;
  }
  if (n.type === "MemberExpression") {
    const prop = memberKey(n, b);
    const mod = requiredModule(n.object, b);
    if (mod !== undefined) return { source: normalizeSource(mod), name: prop };
    // `const o = { run: cp.exec }; o.run(cmd)` runs exec.
    const member = objectMember(n.object, prop, b);
    if (member) return resolveCallee(member, b, depth + 1);
    const inner = resolveCallee(n.object, b, depth + 1);
    if (!inner) return undefined;
    return { source: inner.source, name: inner.name ? `${inner.name}.${prop}` : prop };
  }
  return undefined;
}

/** The value of property `prop` of the object literal `object` is, or is declared as (`{ run: exec }`, `{ exec }`). */
export function objectMember(object: Node, prop: string, b: FileBindings): Node | undefined {
  const o = unwrap(object);
  if (o.type !== "Identifier") return objectProp(o, prop);
  const found = bindingOf(o, b);
  return found?.kind === "value" ? objectProp(found.init, prop) : undefined;
}

/**
 * What the function `callee` names may return: an arrow's expression body, or the value of each return
 * statement of its own body (`function pick() { return cp.exec; }`), not of the functions inside it.
 */
export function returnedValues(callee: Node, b: FileBindings): Node[] {
  let fn = unwrap(callee);
  if (fn.type === "Identifier") {
    const found = bindingOf(fn, b);
    if (found?.kind !== "value") return [];
    fn = unwrap(found.init);
  }
  if (!isFunctionLike(fn) || !fn.body) return [];
  if (fn.body.type !== "BlockStatement") return [fn.body as Node];
  const own = scopeOf(fn, b.scopes);
  const values: Node[] = [];
  walk(fn.body as Node, (node) => {
    if (node.type === "ReturnStatement" && node.argument && functionScopeAround(node, b.scopes) === own)
      values.push(node.argument);
  });
  return values;
}

/** The function a `f.bind(…)` call binds: `f`. */
export function boundFunction(node: Node): Node | undefined {
  if (node.type !== "CallExpression") return undefined;
  const c = unwrap(node.callee);
  return c.type === "MemberExpression" && memberName(c) === "bind" ? c.object : undefined;
}

function isPromisify(callee: Node, b: FileBindings): boolean {
  const r = resolveCallee(callee, b, 3);
  return r?.source === "util" && (r.name === "promisify" || r.name === "");
}
