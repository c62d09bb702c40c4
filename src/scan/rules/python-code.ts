// Python rules code-shell-exec, code-dynamic-eval and code-dynamic-module, on tree-sitter's syntax tree.

import { finding } from "../finding.js";
import { firstError, type PyNode, pythonParser } from "../python/parser.js";
import { PyScopes } from "../python/scopes.js";
import type { Finding } from "../types.js";
import type { FileResult } from "./code-rules.js";

const SHELL_STRING = new Set([
  "os.system",
  "os.popen",
  "subprocess.getoutput",
  "subprocess.getstatusoutput",
  "asyncio.create_subprocess_shell",
]);
const SHELL_KWARG = new Set([
  "subprocess.run",
  "subprocess.call",
  "subprocess.check_call",
  "subprocess.check_output",
  "subprocess.Popen",
]);
const EVAL = new Set(["builtins.eval", "builtins.exec", "builtins.compile"]);
const LOADERS = new Set(["builtins.__import__", "importlib.import_module", "importlib.__import__"]);
/** Builtins a bare name stands for unless the file imports or assigns that name. */
const BUILTINS = new Set(["eval", "exec", "compile", "__import__", "getattr"]);
/** A `getattr` with a name that is not a literal: the member is chosen at run time. */
const COMPUTED = "?";
const COMPUTED_SHELL = new Set(["os", "posix", "subprocess"]);
const PARTIAL = new Set(["functools.partial", "functools.partialmethod"]);

interface Scope {
  /** Each name, by scope → the dotted name it stands for (`sp` → "subprocess", `run` → "os.system"). */
  names: PyScopes;
  /** Names bound to literals anywhere in the file (scope-insensitive, like the JS rules' const strings). */
  consts: Set<string>;
  strings: Map<string, string>;
  /** Dict literals bound to a name, by string key (`o = {"run": os.system}`), scope-insensitive too. */
  dicts: Map<string, Map<string, PyNode>>;
  /** Each `def` by name (the last one wins), to follow what a call of it returns. */
  defs: Map<string, PyNode>;
}

/** The names a parameter list binds: `a`, `a: int`, `a=1`, `*args`, `**kw`. */
function parameterNames(fn: PyNode): string[] {
  const out: string[] = [];
  for (const p of fn.childForFieldName("parameters")?.namedChildren ?? []) {
    if (!p) continue;
    const id = p.type === "identifier" ? p : (p.childForFieldName("name") ?? p.namedChildren[0]);
    if (id?.type === "identifier") out.push(id.text);
  }
  return out;
}

function collect(root: PyNode): Scope {
  const s: Scope = {
    names: new PyScopes(root),
    consts: new Set(),
    strings: new Map(),
    dicts: new Map(),
    defs: new Map(),
  };
  s.names.bind(root, "__builtins__", "builtins");
  // Parameters, `def` and `class` names first: they hide outer names, and any alias bound later wins.
  for (const def of root.descendantsOfType(["function_definition", "class_definition", "lambda"])) {
    if (!def) continue;
    for (const name of parameterNames(def)) s.names.bind(def, name, null);
    const name = def.childForFieldName("name")?.text;
    if (name && def.type !== "lambda") s.names.bind(s.names.scopeAround(def), name, null);
    if (name && def.type === "function_definition") s.defs.set(name, def);
  }
  for (const imp of root.descendantsOfType(["import_statement", "import_from_statement", "assignment"])) {
    if (!imp) continue;
    if (imp.type === "assignment") {
      const left = imp.childForFieldName("left");
      const right = imp.childForFieldName("right");
      if (left?.type !== "identifier" || !right) continue;
      if (isLiteral(right, s)) s.consts.add(left.text);
      const text = pyString(right, s);
      if (text !== undefined) s.strings.set(left.text, text);
      if (right.type === "dictionary") s.dicts.set(left.text, dictEntries(right, s));
      // `run = os.system`, `sp = subprocess`, `e = eval`, `m = __import__("os")`.
      s.names.bind(s.names.scopeAround(imp), left.text, resolve(right, s) ?? null);
      continue;
    }
    const from =
      imp.type === "import_from_statement" ? imp.childForFieldName("module_name")?.text : undefined;
    for (const n of imp.childrenForFieldName("name")) {
      if (!n) continue;
      const name = n.type === "aliased_import" ? (n.childForFieldName("name")?.text ?? "") : n.text;
      const local = n.type === "aliased_import" ? (n.childForFieldName("alias")?.text ?? name) : name;
      s.names.bind(s.names.scopeAround(imp), local, from ? `${from}.${name}` : name);
    }
  }
  return s;
}

const ESCAPES: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  n: "\n",
  t: "\t",
  r: "\r",
};

/** The value of a compile-time string: literals without interpolation, `+` of them, a name bound to one. */
function pyString(node: PyNode, s: Scope): string | undefined {
  switch (node.type) {
    case "string": {
      const prefix = (node.firstChild?.text ?? "").replace(/['"]+$/, "").toLowerCase();
      if (prefix.includes("b") || node.namedChildren.some((c) => c?.type === "interpolation"))
        return undefined;
      const text = node.namedChildren
        .filter((c) => c?.type === "string_content")
        .map((c) => c?.text ?? "")
        .join("");
      if (prefix.includes("r")) return text;
      let bad = false;
      const out = text.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[\s\S])/g, (_, e: string) => {
        if (e.length > 1) return String.fromCharCode(Number.parseInt(e.slice(1), 16));
        if (e === "\n") return "";
        const v = ESCAPES[e];
        if (v === undefined) bad = true;
        return v ?? "";
      });
      return bad ? undefined : out;
    }
    case "concatenated_string": {
      const parts = node.namedChildren.map((c) => (c ? pyString(c, s) : undefined));
      return parts.every((p) => p !== undefined) ? parts.join("") : undefined;
    }
    case "binary_operator": {
      if (node.childForFieldName("operator")?.text !== "+") return undefined;
      const l = node.childForFieldName("left");
      const r = node.childForFieldName("right");
      const a = l ? pyString(l, s) : undefined;
      const b = a !== undefined && r ? pyString(r, s) : undefined;
      return a === undefined || b === undefined ? undefined : a + b;
    }
    case "parenthesized_expression":
      return node.namedChildren[0] ? pyString(node.namedChildren[0], s) : undefined;
    case "identifier":
      return s.strings.get(node.text);
    default:
      return undefined;
  }
}

function isLiteral(node: PyNode, s: Scope): boolean {
  if (node.type === "string") return !node.namedChildren.some((c) => c?.type === "interpolation");
  if (node.type === "concatenated_string")
    return node.namedChildren.every((c) => c !== null && isLiteral(c, s));
  if (node.type === "identifier") return s.consts.has(node.text);
  if (node.type === "list" || node.type === "tuple")
    return node.namedChildren.every((c) => c !== null && isLiteral(c, s));
  return node.type === "integer" || pyString(node, s) !== undefined;
}

const positional = (call: PyNode): PyNode[] =>
  (call.childForFieldName("arguments")?.namedChildren ?? []).filter(
    (a): a is PyNode => a !== null && a.type !== "keyword_argument",
  );

/**
 * The dotted name an expression stands for: imports and aliases (`sp.run` → "subprocess.run"),
 * builtins ("builtins.eval"), `__import__("os")`, `importlib.import_module("os")` and
 * `getattr(os, "system")`; a `getattr` name that is not a literal gives "os.?".
 */
function resolve(node: PyNode, s: Scope, depth = 0): string | undefined {
  if (depth > 8) return undefined;
  switch (node.type) {
    case "identifier": {
      const bound = s.names.lookup(node, node.text);
      if (bound !== undefined) return bound ?? undefined;
      return BUILTINS.has(node.text) ? `builtins.${node.text}` : undefined;
    }
    case "attribute": {
      const obj = node.childForFieldName("object");
      // An attribute of a name the file does not bind keeps the name (`os.system` without `import os`).
      const unbound = obj?.type === "identifier" && s.names.lookup(obj, obj.text) === undefined;
      const base = obj ? (resolve(obj, s, depth + 1) ?? (unbound ? obj.text : undefined)) : undefined;
      const attr = node.childForFieldName("attribute")?.text;
      return base !== undefined && attr ? `${base}.${attr}` : undefined;
    }
    case "parenthesized_expression":
      return node.namedChildren[0] ? resolve(node.namedChildren[0], s, depth + 1) : undefined;
    case "subscript": {
      // `o["run"]` of `o = {"run": os.system}`.
      const dict = node.childForFieldName("value");
      const key = node.childForFieldName("subscript");
      const entry =
        dict?.type === "identifier" && key ? s.dicts.get(dict.text)?.get(pyString(key, s) ?? "") : undefined;
      return entry ? resolve(entry, s, depth + 1) : undefined;
    }
    case "call": {
      const fn = node.childForFieldName("function");
      const name = fn ? resolve(fn, s, depth + 1) : undefined;
      const [first, second] = positional(node);
      if (name && LOADERS.has(name) && first) {
        const mod = pyString(first, s);
        return name === "builtins.__import__" ? mod?.split(".")[0] : mod;
      }
      if (name === "builtins.getattr" && first && second) {
        const base = resolve(first, s, depth + 1);
        return base === undefined ? undefined : `${base}.${pyString(second, s) ?? COMPUTED}`;
      }
      // `pick()` of `def pick(): return os.system` stands for os.system.
      const def = fn?.type === "identifier" ? s.defs.get(fn.text) : undefined;
      for (const value of def ? returnedValues(def, s) : []) {
        const returned = resolve(value, s, depth + 1);
        if (returned) return returned;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** The string-keyed entries of a dict literal: key → value node. */
function dictEntries(dict: PyNode, s: Scope): Map<string, PyNode> {
  const out = new Map<string, PyNode>();
  for (const pair of dict.namedChildren) {
    const key = pair?.type === "pair" ? pair.childForFieldName("key") : null;
    const value = pair?.childForFieldName("value");
    const text = key ? pyString(key, s) : undefined;
    if (text !== undefined && value) out.set(text, value);
  }
  return out;
}

/** The values the `def` returns from its own body (not from the functions and lambdas inside it). */
function returnedValues(def: PyNode, s: Scope): PyNode[] {
  const out: PyNode[] = [];
  for (const r of def.descendantsOfType("return_statement")) {
    const value = r?.namedChildren[0];
    if (r && value && s.names.scopeAround(r).id === def.id) out.push(value);
  }
  return out;
}

const short = (name: string): string => (name.startsWith("builtins.") ? name.slice(9) : name);

/** The rule a function falls under when it is handed on as a value, whatever it will be called with. */
function dangerAsValue(name: string): string | undefined {
  if (SHELL_STRING.has(name)) return "code-shell-exec";
  if (EVAL.has(name)) return "code-dynamic-eval";
  return LOADERS.has(name) ? "code-dynamic-module" : undefined;
}

/**
 * `map(os.system, cmds)`, `pool.submit(eval, src)`, `functools.partial(os.system, cmd)`: a shell or
 * evaluator handed to another function runs whatever that function gives it, out of the rules' sight.
 * A `partial` whose bound arguments are all literals runs a fixed command and passes.
 */
/** A `shell=True` keyword argument. */
function shellTrue(arg: PyNode): boolean {
  return (
    arg.type === "keyword_argument" &&
    arg.childForFieldName("name")?.text === "shell" &&
    arg.childForFieldName("value")?.type === "true"
  );
}

function checkValueArgs(
  call: PyNode,
  callee: string,
  s: Scope,
): { ruleId: string; message: string } | undefined {
  const args = call.childForFieldName("arguments")?.namedChildren.filter((a) => a !== null) ?? [];
  for (const [i, arg] of args.entries()) {
    const value = arg.type === "keyword_argument" ? arg.childForFieldName("value") : arg;
    if (!value || (value.type !== "identifier" && value.type !== "attribute" && value.type !== "call"))
      continue;
    const name = resolve(value, s);
    // `subprocess.run` and its kin are shells only with shell=True, which the call may pass along.
    const shell = name !== undefined && SHELL_KWARG.has(name) && args.some(shellTrue);
    const ruleId = name && (shell ? "code-shell-exec" : dangerAsValue(name));
    if (!name || !ruleId) continue;
    const bound = args.slice(i + 1);
    if (PARTIAL.has(callee) && i === 0 && bound.length > 0 && bound.every((a) => isLiteral(a, s))) continue;
    const fn = call.childForFieldName("function");
    const label = callee || (fn?.type === "identifier" || fn?.type === "attribute" ? fn.text : "");
    const to = label ? `${short(label)}()` : "a call";
    return {
      ruleId,
      message: `${short(name)} passed as a value to ${to}: it runs whatever it is given there`,
    };
  }
  return undefined;
}

function check(call: PyNode, s: Scope): { ruleId: string; message: string } | undefined {
  const fn = call.childForFieldName("function");
  const args = call.childForFieldName("arguments")?.namedChildren.filter((a) => a !== null) ?? [];
  if (!fn) return undefined;
  const name = resolve(fn, s) ?? "";
  const first = args[0]?.type === "keyword_argument" ? undefined : args[0];
  const dynamicFirst = first !== undefined && !isLiteral(first, s);
  if (SHELL_STRING.has(name) && dynamicFirst)
    return { ruleId: "code-shell-exec", message: `${name}() runs a non-literal command in a shell` };
  if (SHELL_KWARG.has(name) && dynamicFirst) {
    const shell = args.find(
      (a) => a.type === "keyword_argument" && a.childForFieldName("name")?.text === "shell",
    );
    const value = shell?.childForFieldName("value");
    if (value && value.type !== "false" && value.type !== "none") {
      return { ruleId: "code-shell-exec", message: `${name}(…, shell=True) with a non-literal command` };
    }
  }
  if (EVAL.has(name) && dynamicFirst) {
    return { ruleId: "code-dynamic-eval", message: `${short(name)}() of non-literal code` };
  }
  if (LOADERS.has(name) && first && pyString(first, s) === undefined) {
    return { ruleId: "code-dynamic-module", message: `${short(name)}() of a module named at run time` };
  }
  if (name.endsWith(`.${COMPUTED}`) && args.some((a) => !isLiteral(a.childForFieldName("value") ?? a, s))) {
    const mod = name.slice(0, -2);
    const ruleId = COMPUTED_SHELL.has(mod)
      ? "code-shell-exec"
      : mod === "builtins"
        ? "code-dynamic-eval"
        : "";
    if (ruleId)
      return {
        ruleId,
        message: `getattr(${mod}, …) picks a member at run time; called with non-literal input`,
      };
  }
  return checkValueArgs(call, name, s);
}

/** Shell and eval findings for one Python file, or its parse error. */
export async function scanPythonFile(rel: string, text: string): Promise<FileResult> {
  const parser = await pythonParser();
  const tree = parser.parse(text);
  if (!tree)
    return {
      findings: [],
      errors: [{ file: rel, line: 1, column: 1, kind: "parse", message: "parser gave no tree" }],
    };
  try {
    const root = tree.rootNode;
    if (root.hasError) {
      const bad = firstError(root);
      const { row, column } = bad.startPosition;
      const what = bad.isMissing ? `missing ${bad.type}` : "invalid syntax";
      return {
        findings: [],
        errors: [{ file: rel, line: row + 1, column: column + 1, kind: "parse", message: what }],
      };
    }
    const scope = collect(root);
    const findings: Finding[] = [];
    for (const call of root.descendantsOfType("call")) {
      const hit = call && check(call, scope);
      if (hit && call) {
        findings.push(
          finding(
            hit.ruleId,
            rel,
            { line: call.startPosition.row + 1, column: call.startPosition.column + 1 },
            hit.message,
          ),
        );
      }
    }
    return { findings, errors: [] };
  } finally {
    tree.delete();
  }
}
