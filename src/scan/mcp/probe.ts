// `--probe`: starts a stdio MCP server, lists its tools and runs the poisoning check on their definitions.

import { checkToolDefinition, type ToolDefinitionText } from "../../tool-poisoning.js";
import { finding } from "../finding.js";
import type { Finding } from "../types.js";
import type { McpServerConfig } from "./config-read.js";

export interface ProbeResult {
  tools?: { name: string; description: string }[];
  error?: string;
  findings: Finding[];
}

/** Poisoning findings for a list of tool definitions (also used by tests and, later, the gateway). */
export function poisoningFindings(
  file: string,
  at: { line: number; column: number },
  server: string,
  tools: ToolDefinitionText[],
): Finding[] {
  const out: Finding[] = [];
  for (const tool of tools) {
    const signals = checkToolDefinition(tool);
    if (signals.length === 0) continue;
    const what = signals.map((s) => `${s.kind} "${s.excerpt}"`).join("; ");
    out.push(
      finding("mcp-tool-poisoning", file, at, `server "${server}" tool "${tool.name}": ${what}`, server),
    );
  }
  return out;
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Starts one stdio server in `cwd`, lists its tools (all pages) and closes it. Never throws. */
export async function probeServer(
  server: McpServerConfig,
  cwd: string,
  file: string,
  at: { line: number; column: number },
  timeoutMs: number,
): Promise<ProbeResult> {
  if (server.transport !== "stdio" || !server.command)
    return { findings: [], error: "only stdio servers are probed" };
  const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
  const { StdioClientTransport, getDefaultEnvironment } = await import(
    "@modelcontextprotocol/sdk/client/stdio.js"
  );
  const transport = new StdioClientTransport({
    command: server.command,
    args: server.args,
    env: { ...getDefaultEnvironment(), ...server.env },
    cwd,
    stderr: "ignore",
  });
  const client = new Client({ name: "warden-scan", version: "0.1.0" });
  try {
    const tools: ToolDefinitionText[] = [];
    await withTimeout(
      (async () => {
        await client.connect(transport);
        let cursor: string | undefined;
        do {
          const page = await client.listTools(cursor ? { cursor } : undefined);
          tools.push(...page.tools);
          cursor = page.nextCursor;
        } while (cursor);
      })(),
      timeoutMs,
      `probing "${server.name}"`,
    );
    return {
      tools: tools.map((t) => ({ name: t.name, description: t.description ?? "" })),
      findings: poisoningFindings(file, at, server.name, tools),
    };
  } catch (e) {
    const error = (e as Error).message;
    return {
      error,
      findings: [finding("mcp-probe-failed", file, at, `server "${server.name}": ${error}`, server.name)],
    };
  } finally {
    await client.close().catch(() => undefined);
  }
}
