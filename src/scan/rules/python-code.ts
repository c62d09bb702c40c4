// Python rules code-shell-exec and code-dynamic-eval, on tree-sitter's syntax tree.

import { finding } from "../finding.js";
import { firstError, type PyNode, pythonParser } from "../python/parser.js";
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
const EVAL = new Set(["eval", "exec", "compile"]);

interface Scope {
  modules: Map<string, string>;
  names: Map<string, string>;
  consts: Set<string>;
}

function collect(root: PyNode): Scope {
  const s: Scope = { modules: new Map(), names: new Map(), consts: new Set() };
  for (const imp of root.descendantsOfType(["import_statement", "import_from_statement", "assignment"])) {
    if (!imp) continue;
    if (imp.type === "assignment") {
      const left = imp.childForFieldName("left");
      const right = imp.childForFieldName("right");
      if (left?.type === "identifier" && right && isLiteral(right, s)) s.consts.add(left.text);
      continue;
    }
    const from =
      imp.type === "import_from_statement" ? imp.childForFieldName("module_name")?.text : undefined;
    for (const n of imp.childrenForFieldName("name")) {
      if (!n) continue;
      const name = n.type === "aliased_import" ? (n.childForFieldName("name")?.text ?? "") : n.text;
      const local = n.type === "aliased_import" ? (n.childForFieldName("alias")?.text ?? name) : name;
      if (from) s.names.set(local, `${from}.${name}`);
      else s.modules.set(local, name);
    }
  }
  return s;
}

function isLiteral(node: PyNode, s: Scope): boolean {
  if (node.type === "string") return !node.namedChildren.some((c) => c?.type === "interpolation");
  if (node.type === "concatenated_string")
    return node.namedChildren.every((c) => c !== null && isLiteral(c, s));
  if (node.type === "identifier") return s.consts.has(node.text);
  if (node.type === "list" || node.type === "tuple")
    return node.namedChildren.every((c) => c !== null && isLiteral(c, s));
  return node.type === "integer";
}

function qualified(fn: PyNode, s: Scope): string {
  if (fn.type === "identifier") return s.names.get(fn.text) ?? fn.text;
  if (fn.type === "attribute") {
    const obj = fn.childForFieldName("object");
    const attr = fn.childForFieldName("attribute")?.text ?? "";
    if (obj?.type === "identifier")
      return `${s.modules.get(obj.text) ?? s.names.get(obj.text) ?? obj.text}.${attr}`;
  }
  return "";
}

function check(call: PyNode, s: Scope): { ruleId: string; message: string } | undefined {
  const fn = call.childForFieldName("function");
  const args = call.childForFieldName("arguments")?.namedChildren.filter((a) => a !== null) ?? [];
  if (!fn) return undefined;
  const name = qualified(fn, s);
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
  if (EVAL.has(name) && fn.type === "identifier" && !s.names.has(fn.text) && dynamicFirst) {
    return { ruleId: "code-dynamic-eval", message: `${name}() of non-literal code` };
  }
  return undefined;
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
