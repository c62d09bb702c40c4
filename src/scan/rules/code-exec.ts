// JS/TS rules code-shell-exec and code-dynamic-eval: shells and evaluators fed with non-literal input.

import { type Node, objectProp, unwrap } from "../js/ast.js";
import { type FileBindings, resolveCallee, staticString } from "../js/bindings.js";
import { globalEvaluator } from "../js/globals.js";

export interface ExecHit {
  ruleId: "code-shell-exec" | "code-dynamic-eval";
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

/** Shell and eval findings for one call or `new` expression. */
export function checkExec(call: Node, b: FileBindings): ExecHit | undefined {
  if (call.type !== "CallExpression" && call.type !== "NewExpression") return undefined;
  const args = call.arguments as Node[];
  const evaluator = globalEvaluator(call.callee, b);
  if (evaluator === "eval" && call.type === "CallExpression" && dynamic(args[0], b)) {
    return { ruleId: "code-dynamic-eval", node: call, message: "eval() of non-literal code" };
  }
  if (evaluator === "Function" && args.some((a) => dynamic(a, b))) {
    return { ruleId: "code-dynamic-eval", node: call, message: "Function constructor with non-literal code" };
  }
  const callee = unwrap(call.callee);
  if (callee.type === "Identifier" && !b.imports.has(callee.name) && !b.values.has(callee.name))
    return undefined;
  const r = resolveCallee(call.callee, b);
  if (!r) return undefined;
  if (r.source === "child_process" && call.type === "CallExpression") {
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
