// Reads MCP client configs: Claude Desktop / Cursor / .mcp.json (`mcpServers`) and VS Code (`servers`).

import { parseJsonLocated } from "../jsonc.js";
import type { FileError } from "../types.js";

export interface McpServerConfig {
  name: string;
  transport: "stdio" | "http";
  command: string | undefined;
  args: string[];
  env: Record<string, string>;
  url: string | undefined;
  headers: Record<string, string>;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const strMap = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(obj(v)).filter((e): e is [string, string] => typeof e[1] === "string"));

function toServer(name: string, raw: Obj): McpServerConfig {
  const command = typeof raw.command === "string" ? raw.command : undefined;
  const url =
    typeof raw.url === "string" ? raw.url : typeof raw.serverUrl === "string" ? raw.serverUrl : undefined;
  const type = typeof raw.type === "string" ? raw.type : command ? "stdio" : "http";
  return {
    name,
    transport: type === "stdio" || (command !== undefined && url === undefined) ? "stdio" : "http",
    command,
    args: Array.isArray(raw.args) ? raw.args.map(String) : [],
    env: strMap(raw.env),
    url,
    headers: strMap(raw.headers),
  };
}

/** The servers a config declares, or a parse error located at the offending position. */
export function readMcpConfig(
  rel: string,
  text: string,
): { servers: McpServerConfig[] } | { error: FileError } {
  const parsed = parseJsonLocated(rel, text, true);
  if (!parsed.ok) return { error: parsed.error };
  const data = obj(parsed.value);
  const table = obj(data.mcpServers ?? data.servers ?? obj(data.mcp).servers);
  return { servers: Object.entries(table).map(([name, raw]) => toServer(name, obj(raw))) };
}
