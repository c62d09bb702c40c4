// JS/TS rules code-shell-exec, code-dynamic-eval and code-dynamic-module: shells and evaluators fed with
// non-literal input, and modules loaded by a name that is not a literal.

import { isFunctionLike, memberName, type Node, objectProp, unwrap } from "../js/ast.js";
import {
  COMPUTED,
  type FileBindings,
  isUnbound,
  loadedName,
  type Resolved,
  resolveCallee,
} from "../js/bindings.js";
import { globalEvaluator } from "../js/globals.js";
import { type Invocation, indirectInvocation } from "../js/invocation.js";
import { staticString } from "../js/static-string.js";

export interface ExecHit {
  ruleId: "code-shell-exec" | "code-dynamic-eval" | "code-dynamic-module";
  node: Node;
  message: string;
}

const SHELL_ALWAYS = new Set(["exec", "execSync"]);
const FILE_FIRST = new Set(["execFile", "execFileSync"]);
const SPAWN = new Set(["spawn", "spawnSync", "execFile", "execFileSync"]);
const VM_CODE = new Set(["runInThisContext", "runInNewContext", "runInContext", "compileFunction", "Script"]);

/** A value that is not known at build time (anything but a literal or a const string). */
function dynamic(node: Node | undefined, b: FileBindings): boolean {
  if (!node || node.type === "SpreadElement") return node !== undefined;
  return staticString(node, b.constStrings) === undefined;
}

/** A non-literal argument, looking inside arrays and skipping options objects. */
function nonLiteral(arg: Node, b: FileBindings): boolean {
  const a = unwrap(arg);
  if (a.type === "ObjectExpression") return false;
  if (a.type === "ArrayExpression") return a.elements.some((e) => e !== null && nonLiteral(e as Node, b));
  return dynamic(a, b);
}

/** The options object of spawn/execFile: the first object literal after the command. */
function optionsArg(args: readonly Node[]): Node | undefined {
  return args.slice(1).find((a) => unwrap(a).type === "ObjectExpression");
}

function usesShell(args: readonly Node[]): boolean {
  const shell = objectProp(optionsArg(args), "shell");
  if (!shell) return false;
  const v = unwrap(shell);
  return !(v.type === "Literal" && (v.value === false || v.value === null));
}

function argsDynamic(args: readonly Node[], b: FileBindings): boolean {
  const list = args[1] ? unwrap(args[1]) : undefined;
  if (!list || list.type === "ObjectExpression") return false;
  if (list.type !== "ArrayExpression") return true;
  return list.elements.some((e) => e !== null && dynamic(e as Node, b));
}

function shellHit(name: string, args: readonly Node[], b: FileBindings): string | undefined {
  if (SHELL_ALWAYS.has(name) && dynamic(args[0], b))
    return `child_process.${name}() runs a non-literal command in a shell`;
  if (SPAWN.has(name) && usesShell(args) && (dynamic(args[0], b) || argsDynamic(args, b))) {
    return `child_process.${name}() with shell: true and non-literal command or arguments`;
  }
  if (FILE_FIRST.has(name) && dynamic(args[0], b))
    return `child_process.${name}() runs a non-literal program`;
  return undefined;
}

/** `require(x)`, `import(x)` and the other loaders (see `loadedName`) with a name that is not a literal. */
function checkLoad(call: Node, b: FileBindings): ExecHit | undefined {
  const arg = loadedName(call, b);
  if (!arg || !dynamic(arg, b)) return undefined;
  const how = call.type === "ImportExpression" ? "import()" : "require()";
  return { ruleId: "code-dynamic-module", node: call, message: `${how} of a module named at run time` };
}

/** Shell, eval and module-load findings for one call, `new` or `import()` expression. */
export function checkExec(call: Node, b: FileBindings): ExecHit | undefined {
  if (call.type === "ImportExpression") return checkLoad(call, b);
  if (call.type !== "CallExpression" && call.type !== "NewExpression") return undefined;
  const indirect = indirectInvocation(call, b);
  if (indirect) return checkInvocation(call, indirect, b);
  const direct = {
    callee: call.callee,
    args: call.arguments as Node[],
    isNew: call.type === "NewExpression",
  };
  return (
    checkInvocation(call, direct, b) ??
    (call.type === "CallExpression" ? checkLoad(call, b) : undefined) ??
    checkValueArgs(direct, b)
  );
}

function checkInvocation(
  call: Node,
  { callee, args, isNew }: Invocation,
  b: FileBindings,
): ExecHit | undefined {
  const evaluator = globalEvaluator(callee, b);
  if (evaluator === "eval" && !isNew && dynamic(args[0], b)) {
    return { ruleId: "code-dynamic-eval", node: call, message: "eval() of non-literal code" };
  }
  if (evaluator === "Function" && args.some((a) => dynamic(a, b))) {
    return { ruleId: "code-dynamic-eval", node: call, message: "Function constructor with non-literal code" };
  }
  const c = unwrap(callee);
  if (c.type === "Identifier" && isUnbound(c, b)) return undefined;
  const r = resolveCallee(callee, b);
  if (!r) return undefined;
  if (r.name.split(".").includes(COMPUTED)) return computedHit(call, r.source, args, b);
  if (r.source === "child_process" && !isNew) {
    const message = shellHit(r.name, args, b);
    return message ? { ruleId: "code-shell-exec", node: call, message } : undefined;
  }
  if (r.source === "shelljs" && r.name === "exec" && dynamic(args[0], b)) {
    return { ruleId: "code-shell-exec", node: call, message: "shelljs.exec() runs a non-literal command" };
  }
  if (r.source === "vm" && VM_CODE.has(r.name) && dynamic(args[0], b)) {
    return { ruleId: "code-dynamic-eval", node: call, message: `vm.${r.name} with non-literal code` };
  }
  return undefined;
}

/** The rule a function falls under when it is handed on as a value, whatever it will be called with. */
function dangerAsValue(r: Resolved): ExecHit["ruleId"] | undefined {
  if (
    (r.source === "child_process" && SHELL_ALWAYS.has(r.name)) ||
    (r.source === "shelljs" && r.name === "exec")
  )
    return "code-shell-exec";
  return r.source === "vm" && VM_CODE.has(r.name) ? "code-dynamic-eval" : undefined;
}

/** Calls that look at a function without running it: a test's `expect(exec)`, `vi.mocked(execSync)`. */
function inspectsOnly(callee: Node): boolean {
  const c = unwrap(callee);
  const name = c.type === "Identifier" ? c.name : c.type === "MemberExpression" ? memberName(c) : undefined;
  return name === "expect" || name === "mocked";
}

/**
 * `cmds.forEach(execSync)`, `inputs.map(eval)`: a shell or evaluator handed to another function runs
 * whatever that function gives it, out of the rules' sight. `promisify(exec)` is followed as an alias instead.
 */
function checkValueArgs({ callee, args }: Invocation, b: FileBindings): ExecHit | undefined {
  for (const a of args) {
    const hit = a.type === "SpreadElement" ? undefined : dangerousValue(a, b);
    if (!hit || inspectsOnly(callee)) continue;
    const r = resolveCallee(callee, b);
    if (r?.source === "util" && (r.name === "promisify" || r.name === "")) return undefined;
    return hit;
  }
  return undefined;
}

/** A finding for `arg` when it is a shell or evaluator used as a value rather than called. */
function dangerousValue(arg: Node, b: FileBindings): ExecHit | undefined {
  const value = unwrap(arg);
  if (value.type === "Literal" || isFunctionLike(value) || value.type === "ObjectExpression")
    return undefined;
  // `Function` as a value is nearly always a type test (`toBeInstanceOf(Function)`): only `eval` counts.
  if (globalEvaluator(value, b) === "eval") {
    const message = "eval passed as a value: what calls it evaluates whatever it is given";
    return { ruleId: "code-dynamic-eval", node: arg, message };
  }
  if (value.type !== "Identifier" && value.type !== "MemberExpression") return undefined;
  if (value.type === "Identifier" && isUnbound(value, b)) return undefined;
  const target = resolveCallee(value, b);
  const ruleId = target && dangerAsValue(target);
  if (!target || !ruleId) return undefined;
  const message = `${target.source}.${target.name} passed as a value: what calls it runs whatever it is given`;
  return { ruleId, node: arg, message };
}

/** `cp[method](cmd)`: a member of child_process, shelljs or vm chosen at run time, given non-literal input. */
function computedHit(
  call: Node,
  source: string,
  args: readonly Node[],
  b: FileBindings,
): ExecHit | undefined {
  const ruleId =
    source === "child_process" || source === "shelljs"
      ? "code-shell-exec"
      : source === "vm"
        ? "code-dynamic-eval"
        : undefined;
  if (!ruleId || !args.some((a) => nonLiteral(a, b))) return undefined;
  return {
    ruleId,
    node: call,
    message: `${source} member chosen at run time, called with non-literal input`,
  };
}
