// Runs the JS/TS code rules over one file: shell/eval anywhere, argument paths and URLs inside tools, Warden bypass.

import { finding } from "../finding.js";
import type { Node } from "../js/ast.js";
import { collectBindings } from "../js/bindings.js";
import { parseJs } from "../js/parse.js";
import { findTools } from "../js/tools.js";
import { LineIndex } from "../location.js";
import type { FileError, Finding } from "../types.js";
import { checkExec } from "./code-exec.js";
import { checkToolBody } from "./code-tools.js";

export interface FileResult {
  findings: Finding[];
  errors: FileError[];
}

const FRAMEWORK_NAMES = {
  "ai-sdk": "AI SDK",
  "openai-agents": "OpenAI Agents",
  langchain: "LangChain",
  mcp: "MCP server",
} as const;

/** All JS/TS code findings for one file, or its parse error. */
export function scanJsFile(rel: string, text: string): FileResult {
  const lines = new LineIndex(text);
  const parsed = parseJs(rel, text, lines);
  if (!parsed.ok) return { findings: [], errors: [parsed.error] };
  const b = collectBindings(parsed.program as Node);
  const findings: Finding[] = [];
  const at = (n: Node) => lines.at(n.start);
  for (const call of b.calls) {
    const hit = checkExec(call, b);
    if (hit) findings.push(finding(hit.ruleId, rel, at(hit.node), hit.message));
  }
  for (const tool of findTools(b)) {
    if (!tool.guarded) {
      const msg = `${FRAMEWORK_NAMES[tool.framework]} tool "${tool.label}" is not wrapped by guard()/@guarded nor passed to a Warden adapter`;
      findings.push(finding("code-tool-bypasses-warden", rel, at(tool.node), msg));
    }
    if (!tool.fn) continue;
    for (const hit of checkToolBody(tool.fn, b)) {
      findings.push(finding(hit.ruleId, rel, at(hit.node), `${hit.message} (tool "${tool.label}")`));
    }
  }
  return { findings, errors: [] };
}
