// Finds agent tool definitions (AI SDK, OpenAI Agents, LangChain, MCP) and decides whether Warden gates them.

import { type FunctionLike, isFunctionLike, type Node, objectProp, references, unwrap } from "./ast.js";
import { type FileBindings, resolveCallee } from "./bindings.js";
import { staticString } from "./static-string.js";

export type ToolFramework = "ai-sdk" | "openai-agents" | "langchain" | "mcp";

export interface ToolDef {
  framework: ToolFramework;
  /** The call, `new` or class that defines the tool: where findings point. */
  node: Node;
  label: string;
  /** The function that runs when the tool is called (unwrapped from guard()), if found. */
  fn: FunctionLike | undefined;
  guarded: boolean;
}

export const ADAPTER_SOURCES = new Set([
  "agent-warden/ai-sdk",
  "agent-warden/openai-agents",
  "agent-warden/langchain",
  "agent-warden/mcp",
]);
const OPENAI_AGENTS = new Set(["@openai/agents", "@openai/agents-core", "@openai/agents-openai"]);
const LANGCHAIN = new Set(["@langchain/core/tools", "langchain/tools", "@langchain/community/tools"]);

/** `guard(...)`, `session.guard(...)`, `guarded(...)`: Warden's wrappers. */
export function isGuardCall(node: Node | undefined): boolean {
  const n = node ? unwrap(node) : undefined;
  if (n?.type !== "CallExpression") return false;
  const c = unwrap(n.callee);
  if (c.type === "Identifier") return c.name === "guard" || c.name === "guarded";
  return (
    c.type === "MemberExpression" &&
    !c.computed &&
    c.property.type === "Identifier" &&
    c.property.name === "guard"
  );
}

/** The function a tool runs: follows names to their declaration and looks inside guard(). */
function toolFunction(
  expr: Node | undefined,
  b: FileBindings,
  depth = 0,
): { fn?: FunctionLike; guarded: boolean } {
  if (!expr || depth > 3) return { guarded: false };
  const n = unwrap(expr);
  if (isFunctionLike(n)) return { fn: n, guarded: false };
  if (n.type === "Identifier") return toolFunction(b.values.get(n.name), b, depth + 1);
  if (isGuardCall(n) && n.type === "CallExpression") {
    const inner = [...n.arguments].reverse().find((a) => a.type !== "SpreadElement" && a.type !== "Literal");
    return { ...toolFunction(inner as Node | undefined, b, depth + 1), guarded: true };
  }
  return { guarded: false };
}

const hasDecorator = (node: Node): boolean =>
  "decorators" in node &&
  Array.isArray(node.decorators) &&
  node.decorators.some((d: { expression: Node }) => {
    const e = unwrap(d.expression);
    const callee = e.type === "CallExpression" ? unwrap(e.callee) : e;
    return callee.type === "Identifier" && callee.name === "guarded";
  });

function labelOf(args: readonly Node[], b: FileBindings, fallback: string): string {
  const first = args[0];
  if (!first) return fallback;
  const direct = staticString(first, b.constStrings);
  if (direct !== undefined) return direct;
  const name = objectProp(first, "name");
  return (name && staticString(name, b.constStrings)) ?? fallback;
}

function fromCall(
  call: Node,
  b: FileBindings,
  mcpFile: boolean,
): (Omit<ToolDef, "guarded" | "fn"> & { run?: Node }) | undefined {
  if (call.type !== "CallExpression" && call.type !== "NewExpression") return undefined;
  const args = call.arguments as Node[];
  const r = resolveCallee(call.callee, b);
  if (call.type === "NewExpression") {
    if (r && LANGCHAIN.has(r.source) && (r.name === "DynamicTool" || r.name === "DynamicStructuredTool")) {
      return {
        framework: "langchain",
        node: call,
        label: labelOf(args, b, r.name),
        run: objectProp(args[0], "func"),
      };
    }
    return undefined;
  }
  if (r?.source === "ai" && (r.name === "tool" || r.name === "dynamicTool")) {
    return {
      framework: "ai-sdk",
      node: call,
      label: labelOf(args, b, "tool"),
      run: objectProp(args[0], "execute"),
    };
  }
  if (r && OPENAI_AGENTS.has(r.source) && r.name === "tool") {
    return {
      framework: "openai-agents",
      node: call,
      label: labelOf(args, b, "tool"),
      run: objectProp(args[0], "execute"),
    };
  }
  if (r && LANGCHAIN.has(r.source) && r.name === "tool") {
    return { framework: "langchain", node: call, label: labelOf(args.slice(1), b, "tool"), run: args[0] };
  }
  const callee = unwrap(call.callee);
  if (
    !mcpFile ||
    callee.type !== "MemberExpression" ||
    callee.computed ||
    callee.property.type !== "Identifier"
  ) {
    return undefined;
  }
  const method = callee.property.name;
  if ((method === "tool" || method === "registerTool") && args.length >= 2 && args[0]) {
    if (staticString(args[0], b.constStrings) === undefined && args[0].type !== "Identifier")
      return undefined;
    return { framework: "mcp", node: call, label: labelOf(args, b, "tool"), run: args[args.length - 1] };
  }
  const schema = args[0] && resolveCallee(args[0], b);
  if (method === "setRequestHandler" && schema?.name === "CallToolRequestSchema") {
    return { framework: "mcp", node: call, label: "tools/call handler", run: args[1] };
  }
  return undefined;
}

function fromClass(cls: Node, b: FileBindings): ToolDef | undefined {
  if (cls.type !== "ClassDeclaration" && cls.type !== "ClassExpression") return undefined;
  const sup = cls.superClass ? resolveCallee(cls.superClass, b) : undefined;
  if (!sup || !LANGCHAIN.has(sup.source) || (sup.name !== "Tool" && sup.name !== "StructuredTool"))
    return undefined;
  const method = cls.body.body.find(
    (m) => m.type === "MethodDefinition" && m.key.type === "Identifier" && m.key.name === "_call",
  );
  const fn = method?.type === "MethodDefinition" ? method.value : undefined;
  const guarded = hasDecorator(cls) || (method !== undefined && hasDecorator(method));
  return { framework: "langchain", node: cls, label: cls.id?.name ?? "Tool", fn, guarded };
}

/** `weather: tool({…})` or `const weather = tool({…})`: the name the code gives an unnamed tool. */
function bindingLabel(node: Node, b: FileBindings): string | undefined {
  const parent = b.parents.get(node);
  if (parent?.type === "Property" && !parent.computed && parent.key.type === "Identifier")
    return parent.key.name;
  if (parent?.type === "VariableDeclarator" && parent.id.type === "Identifier") return parent.id.name;
  return undefined;
}

/** `session.guard("save", fn)`: the tool name given to Warden. */
function guardLabel(run: Node | undefined, b: FileBindings): string | undefined {
  const n = run ? unwrap(run) : undefined;
  if (!isGuardCall(n) || n?.type !== "CallExpression" || !n.arguments[0]) return undefined;
  return staticString(n.arguments[0] as Node, b.constStrings);
}

/** Every tool definition in the file, with whether it goes through Warden. */
export function findTools(b: FileBindings): ToolDef[] {
  const imports = [...b.imports.values()];
  const mcpFile = imports.some((i) => i.source.startsWith("@modelcontextprotocol/sdk"));
  const tools: ToolDef[] = [];
  for (const call of b.calls) {
    const t = fromCall(call, b, mcpFile);
    if (!t) continue;
    const { fn, guarded } = toolFunction(t.run, b);
    const label = bindingLabel(t.node, b) ?? guardLabel(t.run, b) ?? t.label;
    tools.push({ framework: t.framework, node: t.node, label, fn, guarded });
  }
  for (const cls of b.classes) {
    const t = fromClass(cls, b);
    if (t) tools.push(t);
  }
  if (imports.some((i) => ADAPTER_SOURCES.has(i.source))) {
    for (const t of tools) if (!t.guarded) t.guarded = passedToAdapter(t, b);
  }
  return tools;
}

const isAdapterCall = (n: Node, b: FileBindings): boolean =>
  (n.type === "CallExpression" || n.type === "NewExpression") &&
  ADAPTER_SOURCES.has(resolveCallee(n.callee, b)?.source ?? "");

/** The tool sits inside an adapter call's arguments, or a name holding it is passed to one. */
function passedToAdapter(t: ToolDef, b: FileBindings): boolean {
  const names = new Set<string>();
  let node: Node | undefined = t.node;
  if (t.framework === "mcp" && t.node.type === "CallExpression") {
    const callee = unwrap(t.node.callee);
    if (callee.type === "MemberExpression" && callee.object.type === "Identifier")
      names.add(callee.object.name);
  }
  if ((t.node.type === "ClassDeclaration" || t.node.type === "ClassExpression") && t.node.id)
    names.add(t.node.id.name);
  for (let depth = 0; node && depth < 12; depth++) {
    const parent = b.parents.get(node);
    if (!parent) break;
    if (isAdapterCall(parent, b)) return true;
    if (parent.type === "VariableDeclarator" && parent.id.type === "Identifier") names.add(parent.id.name);
    if (parent.type === "AssignmentExpression") {
      let target: Node = parent.left;
      while (target.type === "MemberExpression") target = target.object;
      if (target.type === "Identifier") names.add(target.name);
    }
    node = parent;
  }
  // Names that hold a holder of the tool (`const all = { ...tools }`) count too.
  for (let round = 0; round < 3; round++) {
    for (const [name, init] of b.values) if (!names.has(name) && references(init, names)) names.add(name);
  }
  for (const name of names) {
    const init = b.values.get(name);
    if (
      init &&
      init.type !== "ClassDeclaration" &&
      init.type !== "FunctionDeclaration" &&
      containsAdapterCall(init, b)
    ) {
      return true;
    }
  }
  return b.calls.some(
    (c) => isAdapterCall(c, b) && (c as { arguments: Node[] }).arguments.some((a) => references(a, names)),
  );
}

function containsAdapterCall(init: Node, b: FileBindings): boolean {
  let n = unwrap(init);
  while (n.type === "CallExpression" || n.type === "NewExpression") {
    if (isAdapterCall(n, b)) return true;
    const first = n.arguments[0];
    if (!first || first.type === "SpreadElement") return false;
    n = unwrap(first);
  }
  return false;
}
