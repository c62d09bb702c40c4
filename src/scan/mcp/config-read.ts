// Reads MCP client configs: Claude Desktop / Cursor / .mcp.json (`mcpServers`) and VS Code (`servers`);
// and the servers a Warden policy launches (`mcp.servers`, YAML or JSON), which the gateway starts itself.

import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
import { parseJsonLocated } from "../jsonc.js";
import type { Position } from "../location.js";
import type { FileError } from "../types.js";

export interface McpServerConfig {
  name: string;
  transport: "stdio" | "http";
  command: string | undefined;
  args: string[];
  env: Record<string, string>;
  url: string | undefined;
  headers: Record<string, string>;
  /** Where the entry's name is, when the reader knows it (YAML); else the name's first quoted occurrence. */
  at?: Position;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const strMap = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(obj(v)).filter((e): e is [string, string] => typeof e[1] === "string"));

function toServer(name: string, raw: Obj): McpServerConfig {
  // A Warden policy may also write the whole argv as one list (`command: [npx, -y, pkg@1.0.0]`).
  const argv = Array.isArray(raw.command) ? raw.command.map(String) : null;
  const command = argv ? argv[0] : typeof raw.command === "string" ? raw.command : undefined;
  const url =
    typeof raw.url === "string" ? raw.url : typeof raw.serverUrl === "string" ? raw.serverUrl : undefined;
  const type = typeof raw.type === "string" ? raw.type : command ? "stdio" : "http";
  return {
    name,
    transport: type === "stdio" || (command !== undefined && url === undefined) ? "stdio" : "http",
    command,
    args: argv ? argv.slice(1) : Array.isArray(raw.args) ? raw.args.map(String) : [],
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
  if (/\.ya?ml$/.test(rel)) return readYamlServers(rel, text);
  const parsed = parseJsonLocated(rel, text, true);
  if (!parsed.ok) return { error: parsed.error };
  const data = obj(parsed.value);
  const table = obj(data.mcpServers ?? data.servers ?? obj(data.mcp).servers);
  return { servers: Object.entries(table).map(([name, raw]) => toServer(name, obj(raw))) };
}

/** A YAML Warden policy's `mcp.servers`, each located at its name. */
function readYamlServers(rel: string, text: string): { servers: McpServerConfig[] } | { error: FileError } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const [problem] = doc.errors;
  if (problem !== undefined) {
    const { line, col } = lines.linePos(problem.pos[0]);
    return { error: { file: rel, line, column: col, kind: "parse", message: problem.message } };
  }
  const table = doc.getIn(["mcp", "servers"], true);
  if (!isMap(table)) return { servers: [] };
  const servers: McpServerConfig[] = [];
  for (const pair of table.items) {
    if (!isScalar(pair.key)) continue;
    const name = String(pair.key.value);
    const { line, col } = lines.linePos(pair.key.range?.[0] ?? 0);
    const raw = obj((pair.value as { toJSON?: () => unknown } | null)?.toJSON?.());
    servers.push({ ...toServer(name, raw), at: { line, column: col } });
  }
  return { servers };
}
