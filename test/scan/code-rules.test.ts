// JS/TS code rules: positive and negative cases for shell, eval, tool file writes, tool URLs and Warden bypass.

import { describe, expect, it } from "vitest";
import { scanJsFile } from "../../src/scan/rules/code-rules.js";

const ids = (src: string, file = "a.ts"): string[] => {
  const r = scanJsFile(file, src);
  expect(r.errors).toEqual([]);
  return r.findings.map((f) => f.ruleId);
};

describe("code-shell-exec", () => {
  it.each([
    ['import { exec } from "child_process"; exec(cmd);'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: JS source text under test
    ['import cp from "node:child_process"; cp.execSync(`rm -rf ${dir}`);'],
    ['const { exec } = require("child_process"); exec("ls " + dir);'],
    ['const cp = require("child_process"); const { exec } = cp; exec(userInput);'],
    [
      'import { exec } from "child_process"; import { promisify } from "util"; const run = promisify(exec); run(cmd);',
    ],
    ['import { spawn } from "child_process"; spawn("sh", ["-c", script], { shell: true });'],
    ['import * as cp from "child_process"; cp.spawnSync(program, { shell: true });'],
    ['import { execFile } from "child_process"; execFile(binary, ["--version"]);'],
    ['require("child_process").exec(cmd);'],
    ['import shell from "shelljs"; shell.exec(cmd);'],
  ])("flags %s", (src) => {
    expect(ids(src)).toEqual(["code-shell-exec"]);
  });

  it.each([
    // Module names folded from literals.
    ['require("child_" + "process").exec(cmd);'],
    ["require(`child_process`).exec(cmd);"],
    ['const NAME = "child_" + "process"; const cp = require(NAME); cp.exec(cmd);'],
    // Other loaders.
    ['module.require("child_process").exec(cmd);'],
    ['process.mainModule.require("child_process").exec(cmd);'],
    ['require.main.require("child_process").exec(cmd);'],
    [
      'import { createRequire } from "node:module"; createRequire(import.meta.url)("child_process").exec(cmd);',
    ],
    [
      'import { createRequire } from "module"; const load = createRequire(import.meta.url); const { execSync } = load("child_process"); execSync(cmd);',
    ],
    // Members picked by a computed name.
    ['const cp = require("child_process"); cp["ex" + "ec"](cmd);'],
    ['import * as cp from "child_process"; cp[method](cmd);'],
    ['const cp = require("child_process"); cp[method]("sh", ["-c", script]);'],
  ])("flags the evasion %s", (src) => {
    expect(ids(src)).toEqual(["code-shell-exec"]);
  });

  it.each([
    // Through an object literal's property, and through what a function returns.
    ['const cp = require("child_process"); const o = { run: cp.exec }; o.run(cmd);'],
    ['import { exec } from "child_process"; const tools = { exec }; tools.exec(cmd);'],
    ['import { exec } from "child_process"; const o = { run: noop, run: exec }; o.run(cmd);'],
    ['import { exec } from "child_process"; const o = { run: exec }; const r = o.run; r(cmd);'],
    ['const cp = require("child_process"); function pick() { return cp.exec; } pick()(cmd);'],
    ['import { execSync } from "child_process"; const pick = () => execSync; const run = pick(); run(cmd);'],
    ['import { exec } from "child_process"; ((() => exec))()(cmd);'],
    [
      'import { exec } from "child_process"; function pick(x) { if (x) return noop; return exec; } pick(1)(cmd);',
    ],
  ])("flags the indirection %s", (src) => {
    expect(ids(src)).toEqual(["code-shell-exec"]);
  });

  it.each([
    // A module followed into the callbacks it is handed to.
    ['import("child_process").then((cp) => cp.exec(cmd));'],
    ['import("node:child_process").then(({ exec }) => exec(cmd));'],
    ['const loading = import("child_process"); loading.then((m) => m.execSync(cmd));'],
    ['[require("child_process")].forEach((cp) => cp.execSync(cmd));'],
    ['((cp) => cp.exec(cmd))(require("child_process"));'],
    ['function run(cp) { cp.exec(cmd); } run(require("child_process"));'],
    // Awaited loads (followed already: kept here so they stay followed).
    ['const cp = await import("child_process"); cp.exec(cmd);'],
    ['const { exec } = await import("node:child_process"); exec(cmd);'],
    // Called through .call, .apply, .bind and Reflect.
    ['const cp = require("child_process"); cp.exec.call(cp, cmd);'],
    ['const cp = require("child_process"); cp.execSync.apply(cp, args);'],
    ['const cp = require("child_process"); Reflect.apply(cp.exec, cp, [cmd]);'],
    ['import { exec } from "child_process"; exec.bind(null)(cmd);'],
    ['const cp = require("child_process"); const run = cp.exec.bind(cp); run(cmd);'],
    ['import { exec } from "child_process"; const run = exec.bind(null, cmd); run();'],
    // Handed on as a value: whatever calls it picks the command.
    ['import { execSync } from "child_process"; commands.forEach(execSync);'],
    ['import * as cp from "child_process"; queue.run(cp.exec);'],
  ])("flags the indirect use %s", (src) => {
    expect(ids(src)).toEqual(["code-shell-exec"]);
  });

  it.each([
    ['const cp = require("child_process"); cp.exec.call(cp, "git status");'],
    ['const cp = require("child_process"); Reflect.apply(cp.execSync, cp, ["ls"]);'],
    [
      "const o = { exec(c) { return c; } }; o.exec(cmd); o.exec.call(o, cmd); Reflect.apply(o.exec, o, [cmd]);",
    ],
    ["const re = /a(b)/; re.exec(s); /x/.exec.call(re, s);"],
    ["fetch(url).then((res) => res.json()); [a, b].forEach((x) => x.exec(cmd));"],
    ['import { spawn } from "child_process"; tasks.map(spawn);'],
    [
      'import { execSync } from "child_process"; import { vi } from "vitest"; vi.mocked(execSync).mockReturnValue(""); expect(execSync).toHaveBeenCalledWith("ls");',
    ],
    [
      'import { exec } from "child_process"; import { promisify } from "node:util"; const run = promisify(exec); await run("ls");',
    ],
    // Objects and functions that hold or return something else, or exec run on a literal.
    [
      'import { exec } from "child_process"; const o = { run: exec, log: console.log }; o.log(cmd); o.run("ls");',
    ],
    ['import { exec } from "child_process"; function pick() { return () => exec; } pick()(cmd);'],
    ['import { exec } from "child_process"; const r = exec("ls", cb); r.stdout.on("data", (d) => d);'],
  ])("does not flag the look-alike %s", (src) => {
    expect(ids(src)).toEqual([]);
  });

  it.each([
    ['import * as cp from "child_process"; cp[method]("git", ["status"]);'],
    ["const m = { a: 1 }; m[key](cmd);"],
    ['const mod = require("./local"); mod[name](cmd);'],
  ])("does not flag the computed member %s", (src) => {
    expect(ids(src)).toEqual([]);
  });

  it.each([
    ['import { exec } from "child_process"; exec("git status");'],
    ['import { exec } from "child_process"; const CMD = "git status"; exec(CMD);'],
    ['import { spawn } from "child_process"; spawn("git", ["log", ref]);'],
    ['import { spawn } from "child_process"; spawn("ls", ["-la"], { shell: true });'],
    ['import { execFile } from "child_process"; execFile("git", [ref], { shell: false });'],
    ["function exec(x: string) { return x; } exec(cmd);"],
  ])("does not flag %s", (src) => {
    expect(ids(src)).toEqual([]);
  });
});

describe("code-dynamic-eval", () => {
  it.each([
    ["eval(code);"],
    ['new Function("a", body);'],
    ["Function(src)();"],
    ['import vm from "node:vm"; vm.runInNewContext(code, {});'],
    ['import { Script } from "vm"; new Script(source);'],
    ["globalThis.eval(code);"],
    ["window.eval(code);"],
    ['globalThis["ev" + "al"](code);'],
    ["(0, eval)(code);"],
    ["const run = eval; run(code);"],
    ["const run = (0, globalThis.eval); run(code);"],
    ["const o = { run: eval }; o.run(code);"],
    ["const o = { eval }; o.eval(code);"],
    ["function pick() { return eval; } pick()(code);"],
    ["const make = () => Function; new (make())(body);"],
    ["new globalThis.Function(body);"],
    ["Function.prototype.constructor(body)();"],
    ["(() => {}).constructor(body)();"],
    ["(async function () {}).constructor(body)();"],
    ['"".constructor.constructor(body)();'],
    ["const vm = require(`vm`); vm[how](code);"],
  ])("flags %s", (src) => {
    expect(ids(src)).toEqual(["code-dynamic-eval"]);
  });

  it.each([
    ["eval.call(null, code);"],
    ["eval.apply(null, [code]);"],
    ["eval.apply(globalThis, args);"],
    ["eval.bind(null)(code);"],
    ["const run = eval.bind(globalThis); run(code);"],
    ["Reflect.apply(eval, null, [code]);"],
    ["Reflect.apply(globalThis.eval, undefined, list);"],
    ["Reflect.construct(Function, [body]);"],
    ['Reflect.construct(Function, ["a", body]);'],
    ["Function.call(null, body)();"],
    ["Function.apply(null, [body])();"],
    ['import vm from "node:vm"; vm.runInNewContext.call(vm, code, {});'],
    // Handed on as a value: whatever calls it picks the code.
    ["inputs.map(eval);"],
    ["later(globalThis.eval);"],
    ["const run = (0, eval); queue.push(run);"],
  ])("flags the indirect use %s", (src) => {
    expect(ids(src)).toEqual(["code-dynamic-eval"]);
  });

  it.each([
    ['eval.call(null, "1 + 1");'],
    ['Reflect.apply(eval, null, ["1"]);'],
    ['Reflect.construct(Function, ["return 1"]);'],
    ["JSON.parse.call(null, text); JSON.parse.apply(JSON, [text]); Reflect.apply(JSON.parse, null, [text]);"],
    ["Reflect.construct(Date, [when]); Reflect.apply(fn, null, args); fn.call(this, x); fn.bind(this)(x);"],
    ["const evaluate = (s) => s; evaluate.call(null, code); items.map(evaluate);"],
    ["expect(fn).toBeInstanceOf(Function); isType(value, globalThis.Function);"],
  ])("does not flag the look-alike %s", (src) => {
    expect(ids(src)).toEqual([]);
  });

  it.each([
    ['eval("1 + 1");'],
    ['new Function("return 1");'],
    ['import vm from "vm"; vm.runInThisContext("1");'],
    ['globalThis.eval("1");'],
    ["globalThis.structuredClone(value);"],
    ['import { evaluate as eval2 } from "mathjs"; const run = eval2; run(expr);'],
    ["class A { constructor(x) {} } new A(x); a.constructor(x); this.constructor(x);"],
  ])("does not flag %s", (src) => {
    expect(ids(src)).toEqual([]);
  });
});

describe("scopes", () => {
  it.each([
    ['function a() { const cp = require("child_process"); } function b(cp) { cp.exec(cmd); }'],
    ['import { exec } from "child_process"; function run(exec) { exec(cmd); }'],
    ['import { exec } from "child_process"; function run() { const exec = (c) => c; exec(cmd); }'],
    ["function g() { const run = eval; } function f(run) { run(code); }"],
    ["function f(globalThis) { globalThis.eval(code); new globalThis.Function(body); }"],
    ['{ const cp = require("child_process"); } cp.exec(cmd);'],
    ["try { load(); } catch (require) { require(name); }"],
    ['function f() { let cp; cp.exec(cmd); } const cp = require("child_process");'],
  ])("a local declaration hides the outer name: %s", (src) => {
    expect(ids(src)).toEqual([]);
  });

  it.each([
    ['function a() { const exec = (c) => c; exec(cmd); } import { exec } from "child_process"; exec(cmd);'],
    ['const cp = require("child_process"); function f() { return () => cp.exec(cmd); }'],
    ['function f() { if (ok) { var cp = require("child_process"); } cp.exec(cmd); }'],
    ['function f(cp) { cp.exec(cmd); } const cp = require("child_process"); cp.exec(cmd);'],
  ])("an outer binding still reaches inner uses: %s", (src) => {
    expect(ids(src)).toEqual(["code-shell-exec"]);
  });
});

describe("code-dynamic-module", () => {
  it.each([
    ["require(name);"],
    ["const m = await import(name);"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: JS source text under test
    ["import(`./plugins/${plugin}.js`);"],
    ['require("child_" + suffix);'],
    ["module.require(name);"],
    ["process.mainModule.require(name);"],
    ['import { createRequire } from "node:module"; const req = createRequire(import.meta.url); req(name);'],
    ['import { createRequire } from "node:module"; createRequire(import.meta.url)(name);'],
  ])("flags %s", (src) => {
    expect(ids(src)).toEqual(["code-dynamic-module"]);
  });

  it.each([
    ['const fs = require("node:fs"); import("./local.js");'],
    ['const NAME = "node:path"; require(NAME); await import(NAME);'],
    ['require("./a" + ".js"); import(`./b.js`);'],
    ["require.resolve(name);"],
    ['import path from "node:path"; path.join(dir, name);'],
    ["const require = (n) => n; require(name);"],
    ["obj.require(name);"],
  ])("does not flag %s", (src) => {
    expect(ids(src)).toEqual([]);
  });
});

const aiTool = (body: string, wrap = (fn: string) => `session.guard("t", ${fn})`) => `
import { tool } from "ai";
import * as fs from "node:fs/promises";
import { rmSync } from "fs";
import path from "node:path";
export const t = tool({ description: "d", execute: ${wrap(`async (args) => { ${body} }`)} });`;

describe("code-tool-arg-file-write", () => {
  it.each([
    ["await fs.writeFile(args.path, args.text);"],
    ["const p = path.join('/tmp', args.name); await fs.writeFile(p, 'x');"],
    ["const { target } = args; rmSync(target, { recursive: true });"],
    ["let out; out = args.file; await fs.rm(out);"],
    ["await fs.rename('/tmp/a', args.to);"],
  ])("flags %s inside a tool", (body) => {
    expect(ids(aiTool(body))).toEqual(["code-tool-arg-file-write"]);
  });

  it("does not flag fixed paths, reads, or writes outside tools", () => {
    expect(ids(aiTool("await fs.writeFile('/tmp/log', args.text); return fs.readFile(args.path);"))).toEqual(
      [],
    );
    expect(
      ids('import { writeFile } from "fs/promises"; export const f = (p: string) => writeFile(p, "x");'),
    ).toEqual([]);
  });
});

describe("code-tool-dynamic-url", () => {
  it.each([
    ["return fetch(args.url);"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: JS source text under test
    ["return fetch(`${args.base}/items`);"],
    ["const u = new URL(args.url); return fetch(u);"],
  ])("flags %s inside a tool", (body) => {
    expect(ids(aiTool(body))).toEqual(["code-tool-dynamic-url"]);
  });

  it.each([
    ["return fetch('https://api.example.com/items');"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: JS source text under test
    ["return fetch(`https://api.example.com/items/${args.id}`);"],
    ["return fetch('https://api.example.com/search?q=' + args.q);"],
    ["return fetch(new URL(args.path, 'https://api.example.com'));"],
  ])("does not flag %s", (body) => {
    expect(ids(aiTool(body))).toEqual([]);
  });

  it("flags axios and http calls too", () => {
    const src = `import axios from "axios"; import https from "node:https"; import { tool } from "ai";
      tool({ execute: guard("x", async ({ url, host }) => { await axios.get(url); https.request({ hostname: host }); }) });`;
    expect(ids(src)).toEqual(["code-tool-dynamic-url", "code-tool-dynamic-url"]);
  });
});

describe("code-tool-bypasses-warden", () => {
  it.each([
    ["ai-sdk", 'import { tool } from "ai"; export const t = tool({ execute: async () => 1 });'],
    ["openai-agents", 'import { tool } from "@openai/agents"; tool({ name: "x", execute: async () => 1 });'],
    [
      "langchain tool()",
      'import { tool } from "@langchain/core/tools"; tool(async (s) => s, { name: "echo" });',
    ],
    [
      "langchain DynamicStructuredTool",
      'import { DynamicStructuredTool } from "@langchain/core/tools"; new DynamicStructuredTool({ name: "n", func: async () => "" });',
    ],
    [
      "langchain class",
      'import { StructuredTool } from "@langchain/core/tools"; class T extends StructuredTool { async _call(i) { return i; } }',
    ],
    [
      "mcp server.tool",
      'import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"; const s = new McpServer({}); s.tool("x", {}, async () => ({}));',
    ],
    [
      "mcp registerTool",
      'import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"; const s = new McpServer({}); s.registerTool("x", {}, async () => ({}));',
    ],
    [
      "mcp low-level handler",
      'import { CallToolRequestSchema } from "@modelcontextprotocol/sdk/types.js"; server.setRequestHandler(CallToolRequestSchema, async (req) => ({}));',
    ],
    [
      "handler defined elsewhere",
      'import { tool } from "ai"; async function run() { return 1; } tool({ execute: run });',
    ],
  ])("flags a %s tool that is not gated", (_name, src) => {
    expect(ids(src)).toEqual(["code-tool-bypasses-warden"]);
  });

  it.each([
    ["session.guard()", 'import { tool } from "ai"; tool({ execute: session.guard("t", async () => 1) });'],
    [
      "a guarded function by name",
      'import { tool } from "ai"; const run = guard("t", async () => 1); tool({ execute: run });',
    ],
    [
      "the ai-sdk adapter",
      'import { tool } from "ai"; import { wardenTools } from "agent-warden/ai-sdk"; const tools = { a: tool({ execute: async () => 1 }) }; export default wardenTools(session, tools);',
    ],
    [
      "an adapter call around the tool",
      'import { tool } from "@openai/agents"; import * as w from "agent-warden/openai-agents"; w.gate(session, [tool({ execute: async () => 1 })]);',
    ],
    [
      "an adapter reached through another variable",
      'import { tool } from "ai"; import { wrap } from "agent-warden/ai-sdk"; const t = tool({ execute: async () => 1 }); const all = { t }; wrap(all);',
    ],
    [
      "@guarded on _call",
      'import { StructuredTool } from "@langchain/core/tools"; import { guarded } from "agent-warden"; class T extends StructuredTool { @guarded("t") async _call(i) { return i; } }',
    ],
    [
      "an MCP server created by the adapter",
      'import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"; import { guardServer } from "agent-warden/mcp"; const s = guardServer(new McpServer({})); s.tool("x", {}, async () => ({}));',
    ],
    [
      "a tool() that is not an agent tool",
      'import { tool } from "./mine.js"; tool({ execute: async () => 1 });',
    ],
  ])("does not flag a tool gated by %s", (_name, src) => {
    expect(ids(src)).toEqual([]);
  });

  it("names the tool and points at its definition", () => {
    const r = scanJsFile(
      "t.ts",
      'import { tool } from "ai";\n\nexport const weather = tool({ execute: async () => 1 });\n',
    );
    expect(r.findings[0]).toMatchObject({
      line: 3,
      column: 24,
      message: expect.stringContaining('"weather"'),
    });
  });
});

describe("parsing", () => {
  it("reports syntax errors as file errors with a position", () => {
    const r = scanJsFile("bad.ts", "const a = 1;\nlet = ;\n");
    expect(r.findings).toEqual([]);
    expect(r.errors[0]).toMatchObject({ file: "bad.ts", line: 2, kind: "parse" });
  });

  it("parses JSX, TSX, CommonJS and decorators", () => {
    expect(ids("export const A = () => <div>{x}</div>;", "a.jsx")).toEqual([]);
    expect(ids("export const A = (p: { x: number }) => <b>{p.x}</b>;", "a.tsx")).toEqual([]);
    expect(ids("module.exports = function () { return this; };", "a.cjs")).toEqual([]);
  });
});
