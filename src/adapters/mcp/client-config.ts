// `warden mcp wrap | unwrap`: puts every server of an MCP client's config behind Warden, and back.
// Formats: `mcpServers` (Claude Desktop, Claude Code .mcp.json, Cursor) and `servers` (VS Code mcp.json).
import { basename, dirname, isAbsolute, relative } from "node:path";
import { MCP_SERVER_NAME } from "./config.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** How a wrapped entry starts Warden: the launcher (e.g. `npx -y agent-warden@0.1.0`) and the Warden files. */
export interface WrapOptions {
  launcher: readonly string[];
  policy: string;
  db: string;
}

export interface ConfigChange {
  server: string;
  /** wrapped, unwrapped, or why it was left as it is. */
  action: "wrapped" | "unwrapped" | "already wrapped" | "not wrapped" | "skipped: no command or url";
}

/** The table of servers a config holds: `mcpServers`, VS Code's `servers`, or settings.json's `mcp.servers`. */
export function serverTable(doc: unknown): Obj | null {
  if (!isObj(doc)) return null;
  if (isObj(doc.mcpServers)) return doc.mcpServers;
  if (isObj(doc.servers)) return doc.servers;
  if (isObj(doc.mcp) && isObj(doc.mcp.servers)) return doc.mcp.servers;
  return null;
}

/**
 * How a client config should name one of Warden's files so that the entry works on any checkout of the
 * project: a project config (Claude Code's `.mcp.json`, started in the project folder; VS Code's and
 * Cursor's `.vscode/` `.cursor/mcp.json`, which expand `${workspaceFolder}`) names files inside the
 * project relative to it. A user-level config, or a file outside the project, gets the absolute path.
 */
export function clientPath(configFile: string, target: string): string {
  const folder = dirname(configFile);
  const inFolder = (root: string): string | null => {
    const rel = relative(root, target);
    return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel.split("\\").join("/") : null;
  };
  if (basename(configFile) === ".mcp.json") return inFolder(folder) ?? target;
  if (/^\.(?:vscode|cursor)$/.test(basename(folder))) {
    const rel = inFolder(dirname(folder));
    return rel === null ? target : `\${workspaceFolder}/${rel}`;
  }
  return target;
}

/** What a wrapped entry's args say about the original server. */
type Wrapped =
  | { kind: "stdio"; command: string[] }
  | { kind: "url"; url: string; type: string | null; headers: [name: string, variable: string][] };

/** The original server of a wrapped entry, read back from its args, or null when it is not wrapped. */
function readWrapped(entry: Obj): Wrapped | null {
  const args = entry.args;
  if (typeof entry.command !== "string" || !Array.isArray(args)) return null;
  const strings = args.map(String);
  const mcp = strings.indexOf("mcp");
  const launcher = [entry.command, ...strings.slice(0, Math.max(mcp, 0))];
  const isWarden = launcher.some(
    (part) => /^(?:warden|agent-warden)(?:@|$)/.test(basename(part)) || /cli[\\/]bin\.js$/.test(part),
  );
  if (mcp < 0 || mcp > 2 || !isWarden) return null;
  const dash = strings.indexOf("--");
  if (dash > mcp) return { kind: "stdio", command: strings.slice(dash + 1) };
  const flag = (name: string): string | null => {
    const at = strings.indexOf(name, mcp);
    return at === -1 ? null : (strings[at + 1] ?? null);
  };
  const url = flag("--url");
  if (url === null) return null;
  const headers = (flag("--header-env") ?? "")
    .split(",")
    .filter((pair) => pair.includes("="))
    .map((pair) => pair.split("=", 2) as [string, string]);
  return { kind: "url", url, type: flag("--transport"), headers };
}

/** A server name Warden accepts for `--name` (letters, digits, - and single _). */
function gatewayName(name: string): string {
  const cleaned = name
    .replace(/[^A-Za-z0-9_-]/g, "-")
    .replace(/_+/g, "_")
    .replace(/^_+|_+$/g, "");
  return MCP_SERVER_NAME.test(cleaned) ? cleaned : "upstream";
}

/** The variable that carries one header of a URL server to Warden, unique within the entry's env. */
function headerVariable(header: string, taken: Set<string>): string {
  const base = `WARDEN_HEADER_${header.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}`;
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

/** The entry without the keys that say how its server is reached; the rest (disabled, …) stays as is. */
const without = (entry: Obj, ...keys: string[]): Obj =>
  Object.fromEntries(Object.entries(entry).filter(([k]) => !keys.includes(k)));

/** A URL server as a stdio entry that starts `warden mcp --url`; header values move into the entry's env. */
function wrapUrl(entry: Obj, server: string, options: WrapOptions): Obj {
  const env: Obj = isObj(entry.env) ? { ...entry.env } : {};
  const taken = new Set(Object.keys(env));
  const headers = isObj(entry.headers) ? Object.entries(entry.headers) : [];
  const pairs = headers.map(([name, value]) => {
    const variable = headerVariable(name, taken);
    // The value moves as written: a `${VAR}` reference stays a reference, expanded by the client or by Warden.
    env[variable] = String(value);
    return `${name}=${variable}`;
  });
  const [command, ...launcherArgs] = options.launcher;
  const wrapped: Obj = {
    ...without(entry, "url", "headers", "type", "env"),
    ...(entry.type === undefined ? {} : { type: "stdio" }),
    command,
    args: [
      ...launcherArgs,
      ...gatewayArgs(server, options),
      "--url",
      String(entry.url),
      ...(entry.type === undefined ? [] : ["--transport", String(entry.type)]),
      ...(pairs.length > 0 ? ["--header-env", pairs.join(",")] : []),
    ],
  };
  if (Object.keys(env).length > 0) wrapped.env = env;
  return wrapped;
}

// --init: wrapping says the gateway is to run in the client's place, and a project config names a
// project-relative ledger that a fresh checkout does not have (it is not committed): the client's first
// launch creates it and its key. The policy is never created; without it the launch fails and names it.
const gatewayArgs = (server: string, options: WrapOptions): string[] => [
  "mcp",
  "--policy",
  options.policy,
  "--db",
  options.db,
  "--init",
  "--name",
  gatewayName(server),
];

/**
 * Rewrites each server so the client starts Warden in its place: a stdio server becomes `warden mcp … --
 * <its command>` with the same env (passed on to the server by name with --pass-env); a URL server
 * (`type` http or sse, `url`, `headers`) becomes `warden mcp … --url URL`, its headers carried in the
 * entry's env and named with --header-env. Values stay in the client's config, as written, and never
 * reach the policy or the ledger. Mutates `doc`; idempotent.
 */
export function wrapConfig(doc: unknown, options: WrapOptions): ConfigChange[] {
  const table = serverTable(doc);
  if (table === null) return [];
  const changes: ConfigChange[] = [];
  for (const [server, entry] of Object.entries(table)) {
    if (!isObj(entry)) continue;
    if (readWrapped(entry) !== null) {
      changes.push({ server, action: "already wrapped" });
      continue;
    }
    if (typeof entry.command !== "string") {
      if (typeof entry.url !== "string") {
        changes.push({ server, action: "skipped: no command or url" });
        continue;
      }
      table[server] = wrapUrl(entry, server, options);
      changes.push({ server, action: "wrapped" });
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
        ...gatewayArgs(server, options),
        ...(envNames.length > 0 ? ["--pass-env", envNames.join(",")] : []),
        // VS Code and Cursor load envFile into Warden's environment; only what is passed on reaches the server.
        ...(typeof entry.envFile === "string" ? ["--env-file", entry.envFile] : []),
        "--",
        entry.command,
        ...args,
      ],
    };
    changes.push({ server, action: "wrapped" });
  }
  return changes;
}

/** Restores each wrapped server as it was (command and args, or type, url and headers); other keys stay. */
export function unwrapConfig(doc: unknown): ConfigChange[] {
  const table = serverTable(doc);
  if (table === null) return [];
  const changes: ConfigChange[] = [];
  for (const [server, entry] of Object.entries(table)) {
    if (!isObj(entry)) continue;
    const wrapped = readWrapped(entry);
    if (wrapped === null) {
      changes.push({ server, action: "not wrapped" });
      continue;
    }
    table[server] = wrapped.kind === "stdio" ? restoreStdio(entry, wrapped) : restoreUrl(entry, wrapped);
    changes.push({ server, action: "unwrapped" });
  }
  return changes;
}

function restoreStdio(entry: Obj, wrapped: Extract<Wrapped, { kind: "stdio" }>): Obj {
  const [command, ...args] = wrapped.command;
  const restored: Obj = { ...entry, command, args };
  // wrap cannot say whether `args: []` was written; clients read an absent list the same way.
  if (args.length === 0) delete restored.args;
  return restored;
}

/** Two configs with the same servers and keys, whatever their key order and layout. */
export function sameConfig(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => sameConfig(item, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && sameConfig(a[k], b[k]));
  }
  return Object.is(a, b);
}

function restoreUrl(entry: Obj, wrapped: Extract<Wrapped, { kind: "url" }>): Obj {
  const env: Obj = isObj(entry.env) ? { ...entry.env } : {};
  const headers: Obj = {};
  for (const [name, variable] of wrapped.headers) {
    headers[name] = env[variable];
    delete env[variable];
  }
  const restored: Obj = {
    ...without(entry, "command", "args", "env", "type"),
    ...(wrapped.type === null ? {} : { type: wrapped.type }),
    url: wrapped.url,
  };
  if (wrapped.headers.length > 0) restored.headers = headers;
  if (Object.keys(env).length > 0) restored.env = env;
  return restored;
}
