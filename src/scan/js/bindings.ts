// What names in one JS/TS file stand for: imports, require()s, aliases, const strings, declared values.

import { isFunctionLike, memberName, type Node, patternNames, unwrap, walk } from "./ast.js";

/** Where an imported name comes from: `imported` is a name, "default" or "*". */
export interface ImportBinding {
  source: string;
  imported: string;
}

/** A callee resolved to a module member: `name` is "" for the module itself, dotted for nested members. */
export interface Resolved {
  source: string;
  name: string;
}

export interface FileBindings {
  imports: Map<string, ImportBinding>;
  /** `const X = "literal"` anywhere in the file (scope-insensitive, by design: a heuristic). */
  constStrings: Map<string, string>;
  /** Initialiser of each declared variable, and each function declaration (last one wins). */
  values: Map<string, Node>;
  /** Every call, `new` and `import()` expression, in source order. */
  calls: Node[];
  classes: Node[];
  parents: Map<Node, Node>;
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

/** True when the file neither imports nor declares `name`: a bare use of it is the global. */
export const isUnbound = (name: string, b: FileBindings): boolean =>
  !b.imports.has(name) && !b.values.has(name);

/** Whether `callee` is a CommonJS loader (see `loadedName`). */
function isLoader(callee: Node, b: FileBindings, depth: number): boolean {
  const n = unwrap(callee);
  if (depth > 4) return false;
  if (n.type === "Identifier") {
    if (n.name === "require" && isUnbound(n.name, b)) return true;
    const init = b.values.get(n.name);
    return init !== undefined && init.type !== "FunctionDeclaration" && isLoader(init, b, depth + 1);
  }
  if (n.type === "CallExpression") {
    const r = resolveCallee(n.callee, b, depth + 1);
    return r?.source === "module" && (r.name === "createRequire" || r.name === "createRequireFromPath");
  }
  if (n.type !== "MemberExpression" || memberKey(n, b) !== "require") return false;
  // `module.require`, `process.mainModule.require`, `require.main.require`.
  const o = unwrap(n.object);
  if (o.type === "Identifier") return o.name === "module" && isUnbound("module", b);
  if (o.type !== "MemberExpression") return false;
  const base = unwrap(o.object);
  const key = memberKey(o, b);
  return (
    base.type === "Identifier" &&
    isUnbound(base.name, b) &&
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

function bindDeclarator(id: Node, init: Node, b: FileBindings): void {
  const mod = requiredModule(init, b);
  if (mod !== undefined) {
    const source = normalizeSource(mod);
    if (id.type === "Identifier") b.imports.set(id.name, { source, imported: "*" });
    else if (id.type === "ObjectPattern") {
      for (const p of id.properties) {
        if (p.type !== "Property" || p.value.type !== "Identifier") continue;
        const key = p.key.type === "Identifier" ? p.key.name : stringOf(p.key as Node);
        if (key) b.imports.set(p.value.name, { source, imported: key });
      }
    }
    return;
  }
  if (id.type === "Identifier") {
    b.values.set(id.name, init);
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
      b.values.set(p.value.name, {
        ...member,
        computed: false,
        optional: false,
        start: p.start,
        end: p.end,
      } as Node);
    }
    return;
  }
  for (const name of patternNames(id)) b.values.set(name, init);
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
  };
  walk(program, (node, parent) => {
    if (parent) b.parents.set(node, parent);
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
          b.imports.set(s.local.name, { source: normalizeSource(node.source.value), imported });
        }
        break;
      case "TSImportEqualsDeclaration":
        if (node.moduleReference.type === "TSExternalModuleReference") {
          b.imports.set(node.id.name, {
            source: normalizeSource(node.moduleReference.expression.value),
            imported: "*",
          });
        }
        break;
      case "VariableDeclaration":
        for (const d of node.declarations) {
          if (!d.init) continue;
          bindDeclarator(d.id, d.init, b);
          const s =
            d.id.type === "Identifier" && node.kind === "const"
              ? staticString(d.init, b.constStrings)
              : undefined;
          if (s !== undefined && d.id.type === "Identifier") b.constStrings.set(d.id.name, s);
        }
        break;
      case "FunctionDeclaration":
      case "ClassDeclaration":
        if (node.id) b.values.set(node.id.name, node);
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
  if (id) bindDeclarator(id, value, b);
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
        ? b.values.get(callee.name)
        : undefined;
    if (!fn || !isFunctionLike(unwrap(fn))) continue;
    args.forEach((a, i) => {
      if (a.type !== "SpreadElement" && carriesModule(a, b)) bindParam(fn, i, a, b);
    });
  }
}

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

/** Resolves a callee (`exec`, `cp.exec`, `fs.promises.rm`, `require("x").y`) to a module member. */
export function resolveCallee(callee: Node, b: FileBindings, depth = 0): Resolved | undefined {
  const n = unwrap(callee);
  if (depth > 4) return undefined;
  if (n.type === "Identifier") {
    const imp = b.imports.get(n.name);
    if (imp)
      return {
        source: imp.source,
        name: imp.imported === "*" || imp.imported === "default" ? "" : imp.imported,
      };
    const alias = b.values.get(n.name);
    if (alias && alias.type !== "FunctionDeclaration" && alias.type !== "ClassDeclaration") {
      const a = unwrap(alias);
      // `const run = promisify(exec)` runs exec.
      if (a.type === "CallExpression" && isPromisify(a.callee, b) && a.arguments[0]) {
        return resolveCallee(a.arguments[0] as Node, b, depth + 1);
      }
      if (a.type === "Identifier" || a.type === "MemberExpression") return resolveCallee(a, b, depth + 1);
      // `const run = cp.exec.bind(cp)` runs exec.
      const bound = boundFunction(a);
      if (bound) return resolveCallee(bound, b, depth + 1);
    }
    return undefined;
  }
  if (n.type === "MemberExpression") {
    const prop = memberKey(n, b);
    const mod = requiredModule(n.object, b);
    if (mod !== undefined) return { source: normalizeSource(mod), name: prop };
    const inner = resolveCallee(n.object, b, depth + 1);
    if (!inner) return undefined;
    return { source: inner.source, name: inner.name ? `${inner.name}.${prop}` : prop };
  }
  return undefined;
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
