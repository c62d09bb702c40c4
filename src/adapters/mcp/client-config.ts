// `warden mcp wrap | unwrap`: puts every stdio server of an MCP client's config behind Warden, and back.
// Formats: `mcpServers` (Claude Desktop, Claude Code .mcp.json, Cursor) and `servers` (VS Code mcp.json).
import { basename } from "node:path";
import { MCP_SERVER_NAME } from "../../policy/index.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** How a wrapped entry starts Warden: the launcher (node and the CLI's bin.js) and the Warden files. */
export interface WrapOptions {
  launcher: readonly string[];
  policy: string;
  db: string;
}

export interface ConfigChange {
  server: string;
  /** wrapped, unwrapped, or why it was left as it is. */
  action: "wrapped" | "unwrapped" | "already wrapped" | "not wrapped" | "skipped: url server";
}

/** The table of servers a config holds: `mcpServers`, VS Code's `servers`, or settings.json's `mcp.servers`. */
export function serverTable(doc: unknown): Obj | null {
  if (!isObj(doc)) return null;
  if (isObj(doc.mcpServers)) return doc.mcpServers;
  if (isObj(doc.servers)) return doc.servers;
  if (isObj(doc.mcp) && isObj(doc.mcp.servers)) return doc.mcp.servers;
  return null;
}

/** Where the original command starts in a wrapped entry's args (after `--`), or -1 when it is not wrapped. */
function wrappedAt(entry: Obj): number {
  const args = entry.args;
  if (typeof entry.command !== "string" || !Array.isArray(args)) return -1;
  const mcp = args.indexOf("mcp");
  const dash = args.indexOf("--");
  const launcher = [entry.command, ...args.slice(0, Math.max(mcp, 0))].map(String);
  const isWarden = launcher.some(
    (part) => /^(?:warden|agent-warden)(?:@|$)/.test(basename(part)) || /cli[\\/]bin\.js$/.test(part),
  );
  return mcp >= 0 && mcp <= 2 && dash > mcp && isWarden ? dash + 1 : -1;
}

/** A server name Warden accepts for `--name` (letters, digits, - and single _). */
function gatewayName(name: string): string {
  const cleaned = name
    .replace(/[^A-Za-z0-9_-]/g, "-")
    .replace(/_+/g, "_")
    .replace(/^_+|_+$/g, "");
  return MCP_SERVER_NAME.test(cleaned) ? cleaned : "upstream";
}

/**
 * Rewrites each stdio server so the client starts `warden mcp … -- <its command>` instead, with the same
 * env (passed on to the server by name with --pass-env, so values stay in the client's config and never
 * reach the policy or the ledger). URL servers are left as they are. Mutates `doc`; idempotent.
 */
export function wrapConfig(doc: unknown, options: WrapOptions): ConfigChange[] {
  const table = serverTable(doc);
  if (table === null) return [];
  const changes: ConfigChange[] = [];
  for (const [server, entry] of Object.entries(table)) {
    if (!isObj(entry)) continue;
    if (wrappedAt(entry) !== -1) {
      changes.push({ server, action: "already wrapped" });
      continue;
    }
    if (typeof entry.command !== "string") {
      changes.push({ server, action: "skipped: url server" });
      continue;
    }
    const args = Array.isArray(entry.args) ? entry.args.map(String) : [];
    const envNames = isObj(entry.env) ? Object.keys(entry.env) : [];
    const [command, ...launcherArgs] = options.launcher;
    table[server] = {
      ...entry,
      command,
      args: [
        ...launcherArgs,
        "mcp",
        "--policy",
        options.policy,
        "--db",
        options.db,
        "--name",
        gatewayName(server),
        ...(envNames.length > 0 ? ["--pass-env", envNames.join(",")] : []),
        "--",
        entry.command,
        ...args,
      ],
    };
    changes.push({ server, action: "wrapped" });
  }
  return changes;
}

/** Restores each wrapped server's own command and args; everything else in the entry stays. */
export function unwrapConfig(doc: unknown): ConfigChange[] {
  const table = serverTable(doc);
  if (table === null) return [];
  const changes: ConfigChange[] = [];
  for (const [server, entry] of Object.entries(table)) {
    if (!isObj(entry)) continue;
    const at = wrappedAt(entry);
    if (at === -1) {
      changes.push({ server, action: "not wrapped" });
      continue;
    }
    const original = (entry.args as unknown[]).slice(at).map(String);
    const [command, ...args] = original;
    table[server] = { ...entry, command, args };
    changes.push({ server, action: "unwrapped" });
  }
  return changes;
}
