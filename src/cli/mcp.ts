// `warden mcp`: the MCP gateway (stdio or Streamable HTTP), and `warden mcp tools | approve` for tool pins.
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { resolve } from "node:path";
import { parseEnv } from "node:util";
import { type LaunchedServer, MCP_SERVER_NAME } from "../adapters/mcp/config.js";
import type { HttpListener, McpGateway, PinSubject } from "../adapters/mcp/index.js";
import { defaultKeyPaths, isPostgresUrl, Ledger, ledgerSigningKey, SqliteStore } from "../ledger/index.js";
import { safeText } from "../safe-text.js";
import { checkMcpConfig, stripJsonc } from "../scan/index.js";
import { connectionChanges } from "../server/index.js";
import { Warden } from "../warden.js";
import { openPostgres } from "../warden-postgres.js";
import { missing, parse, printHelp, runCommand, UsageError, unknownChoice } from "./args.js";
import { requireLedger, requirePolicy } from "./existing.js";
import type { CliIO, Command } from "./io.js";
import { withStore } from "./open-store.js";
import { PATH_OPTIONS, type WardenPaths, wardenPaths } from "./paths.js";

type Mcp = typeof import("../adapters/mcp/index.js");

const HELP = `usage: warden mcp [--agent A] [--on-behalf-of U] [--intent I] [--listen HOST:PORT]
                  [--poisoning block|warn] [--name NAME] [--dir DIR] [--policy FILE] [--db FILE] [--init]
                  [-- COMMAND ARGS... | --url URL [--transport http|sse] [--header-env H=VAR,...]]
       warden mcp wrap FILE | unwrap FILE [--dir DIR] [--policy FILE] [--db FILE]
       warden mcp tools [--json]
       warden mcp approve SERVER TOOL [--force]
       warden mcp approve SERVER (--prompt NAME | --resource URI | --template URI | --instructions) [--force]

A gateway in front of MCP servers: every tools/call is decided by the policy and recorded in the
ledger before it runs. Upstreams come from the policy's mcp.servers, or from the command after --
(one stdio server, named NAME, default "upstream") or --url (one Streamable HTTP or, with --transport
sse, SSE server; without --transport, SSE when Streamable HTTP is refused with a 4xx). Downstream is
stdio, or Streamable HTTP on HOST:PORT/mcp with --listen (bearer tokens from warden token create;
agent or admin role). With the policy's identity.provider, --listen also takes the provider's tokens
and serves OAuth protected resource metadata (RFC 9728), so MCP clients sign in with the provider
(docs/identity.md). The policy's mcp.listen sets --listen's HTTP limits, with the keys of server:
(docs/mcp.md); its connection limits are read when the listener starts (a reload that changes them
says on stderr that they wait for a restart), its perToken budgets follow a reload.

Identity (stdio): --agent/--on-behalf-of/--intent, else the policy's mcp.identity. Over HTTP the agent
is the token's; x-warden-on-behalf-of and x-warden-intent headers name the user and intent, unless the
provider token names the user. With identity.onBehalfOf: verified only a provider token names the
user (over stdio: _meta["warden/onBehalfOfToken"], an RFC 8693 exchanged token); --on-behalf-of,
headers and _meta["warden/onBehalfOf"] are refused (IDENTITY_UNVERIFIED).

The policy and the ledger must exist (warden init makes them): a --db or --dir that names nothing is
refused (exit 2) and named, never created.
--init    create the ledger and its signing key if they are missing (a PostgreSQL database: the key
          DIR/ledger.key); the policy is never made up, it must exist. wrap puts --init in each
          entry, so the client's first launch on a new checkout creates the project's ledger

wrap      rewrite an MCP client's config (Claude Desktop, Claude Code .mcp.json, Cursor: mcpServers;
          VS Code: servers) so each server runs behind npx -y agent-warden@VERSION mcp with this
          policy and ledger: a stdio server's env is passed on by name (--pass-env) and its envFile
          with --env-file, a URL server's headers move into the entry's env (--header-env), values
          as written. Writes FILE.warden-backup first; idempotent; a read-only file is refused
unwrap    restore each wrapped server as it was (the backup byte for byte when nothing was edited)
--pass-env A,B  (with --) pass these variables of warden's environment on to the server
--env-file FILE  (with --) pass the variables this dotenv file defines on to the server (a value
          in warden's environment wins); wrap turns an entry's envFile into it
--header-env H=VAR,...  (with --url) send header H with the value of variable VAR; \${X} in it expands
tools     everything pinned (tools, prompts, resources, templates, server instructions): pinned,
          changed (hidden; with what changed) or poisoned (hidden; with the findings)
approve   print what changed and the findings, then pin the definition last seen, unblocking it;
          a definition with poisoning findings needs --force. The ledger records who approved
          which digest`;

export const mcpCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, HELP, async () => {
    const dash = argv.indexOf("--");
    const own = dash === -1 ? argv : argv.slice(0, dash);
    const command = dash === -1 ? [] : argv.slice(dash + 1);
    const { values, positionals } = parse(own, {
      ...PATH_OPTIONS,
      agent: { type: "string" },
      "on-behalf-of": { type: "string" },
      intent: { type: "string" },
      listen: { type: "string" },
      poisoning: { type: "string" },
      name: { type: "string" },
      json: { type: "boolean" },
      force: { type: "boolean" },
      prompt: { type: "string" },
      resource: { type: "string" },
      template: { type: "string" },
      instructions: { type: "boolean" },
      "pass-env": { type: "string" },
      "env-file": { type: "string" },
      url: { type: "string" },
      transport: { type: "string" },
      "header-env": { type: "string" },
      init: { type: "boolean" },
    });
    if (values.help) return printHelp(io, HELP);
    const paths = wardenPaths(io, values);
    // Loaded here, not at the top: other commands should not pay for the MCP SDK.
    const mcp = await import("../adapters/mcp/index.js");
    if (positionals[0] === "tools") return listTools(io, paths.db, values.json === true, mcp);
    if (positionals[0] === "approve")
      return approve(io, paths, approveSubject(positionals.slice(1), values), values.force === true, mcp);
    if (positionals[0] === "wrap" || positionals[0] === "unwrap")
      return rewriteConfig(io, positionals[0], positionals.slice(1), paths, mcp);
    if (positionals[0] !== undefined)
      throw unknownChoice("mcp command", positionals[0], ["tools", "approve", "wrap", "unwrap"]);
    if (dash !== -1 && command.length === 0) throw new UsageError("no command after --");
    const poisoning = values.poisoning;
    if (poisoning !== undefined && poisoning !== "block" && poisoning !== "warn") {
      throw new UsageError("--poisoning must be block or warn");
    }
    const name = values.name ?? "upstream";
    if (!MCP_SERVER_NAME.test(name)) throw new UsageError("--name uses letters, digits, - and single _");
    const listen = values.listen === undefined ? null : hostPort(values.listen);
    requirePolicy(paths);
    // With --init, Warden.open creates the ledger and its key, and only while there is no ledger.
    if (!values.init) requireLedger(paths);

    const servers = commandLineServer(io, name, command, values);
    const made = isPostgresUrl(paths.db) ? [paths.key] : [paths.db, defaultKeyPaths(paths.db).privateKey];
    const missingBefore = made.filter((file) => !existsSync(file));
    // Set once listening: a reload compares the policy's connection limits with the ones it keeps.
    let listener: HttpListener | null = null;
    const warden: Warden = await Warden.open({
      policy: paths.policy,
      db: paths.db,
      ...(isPostgresUrl(paths.db) ? { signingKey: paths.key } : {}),
      watchPolicy: true,
      onPolicyReload: (result) => {
        if (!result.ok || !result.changed || listener === null) return;
        const wanted = warden.policy.mcp?.listen.connections ?? {};
        const kept = connectionChanges("mcp.listen", listener.connections, wanted);
        if (kept.length > 0)
          io.stderr(
            `warden mcp: ${kept.join(", ")}: connection limits take effect when warden mcp --listen restarts; until then the listener keeps the ones it started with`,
          );
      },
    });
    // stderr: stdout is the MCP channel.
    for (const file of missingBefore) if (existsSync(file)) io.stderr(`warden mcp: created ${file}`);
    let gateway: McpGateway;
    try {
      gateway = await mcp.McpGateway.create({
        warden,
        servers,
        poisoning,
        identity: {
          agent: values.agent ?? null,
          onBehalfOf: values["on-behalf-of"] ?? null,
          intent: values.intent ?? null,
        },
        onError: (err) => io.stderr(`warden mcp: ${err instanceof Error ? err.message : String(err)}`),
      });
    } catch (err) {
      await warden.close();
      throw err;
    }
    const stop = new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    if (listen !== null) {
      listener = await gateway.listen(listen);
      io.stderr(`warden mcp: listening on ${listener.url} (policy ${warden.policy.digest})`);
      await stop;
    } else {
      // stdout is the MCP channel from here on: everything else goes to stderr.
      await Promise.race([gateway.serveStdio(), stop]);
    }
    await gateway.close();
    await warden.close();
    return 0;
  });

/** The one server named on the command line (after --, or --url), or undefined: the policy's mcp.servers. */
function commandLineServer(
  io: CliIO,
  name: string,
  command: string[],
  values: {
    url?: string;
    transport?: string;
    "header-env"?: string;
    "pass-env"?: string;
    "env-file"?: string;
  },
): LaunchedServer[] | undefined {
  const base = { name, cwd: null, sandbox: null };
  if (values.url !== undefined) {
    if (command.length > 0) throw new UsageError("--url and a command after -- exclude each other");
    const transport = values.transport;
    if (transport !== undefined && !["http", "streamable-http", "sse"].includes(transport))
      throw new UsageError("--transport must be http, streamable-http or sse");
    const headers = headersFromEnv(io, values["header-env"]);
    const spec = { ...base, command: null, env: {}, url: values.url, headers };
    // Without --transport: Streamable HTTP, falling back to HTTP+SSE as MCP clients do.
    return [transport === undefined ? spec : { ...spec, sse: transport === "sse" }];
  }
  if (values.transport !== undefined || values["header-env"] !== undefined)
    throw new UsageError("--transport and --header-env go with --url");
  if (values["env-file"] !== undefined && command.length === 0)
    throw new UsageError("--env-file goes with a command after --");
  if (command.length === 0) return undefined;
  const env = { ...fileEnv(io, values["env-file"]), ...passedEnv(io, values["pass-env"]) };
  return [{ ...base, command, env, url: null, headers: {} }];
}

/**
 * Headers for a --url server from warden's environment (a wrapped client config's headers, moved into its
 * env so no value is on the command line). A `${VAR}` the client left unexpanded is expanded at launch.
 */
function headersFromEnv(io: CliIO, pairs: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (pairs ?? "").split(",").filter((p) => p !== "")) {
    const [header = "", variable = ""] = pair.split("=", 2);
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable))
      throw new UsageError(`--header-env: "${pair}" is not HEADER=VARIABLE`);
    const value = io.env[variable];
    if (value === undefined) throw new UsageError(`--header-env: ${variable} (header ${header}) is not set`);
    headers[header] = value;
  }
  return headers;
}

/** The named variables of warden's own environment, for the server after -- (a wrapped client config's env). */
function passedEnv(io: CliIO, names: string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of (names ?? "").split(",").filter((n) => n !== "")) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new UsageError(`--pass-env: "${name}" is not a variable name`);
    const value = io.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/**
 * The variables a dotenv file defines, for the server after -- (a wrapped entry's `envFile`, VS Code and
 * Cursor). The client has usually loaded the file into warden's environment already: that value wins.
 */
function fileEnv(io: CliIO, file: string | undefined): Record<string, string> {
  if (file === undefined) return {};
  const path = resolve(io.cwd, file);
  if (!existsSync(path)) throw missing(`--env-file: no file ${path}`);
  const defined = parseEnv(readFileSync(path, "utf8"));
  return Object.fromEntries(
    Object.entries(defined).map(([name, value]) => [name, io.env[name] ?? value ?? ""]),
  );
}

async function rewriteConfig(
  io: CliIO,
  how: "wrap" | "unwrap",
  args: string[],
  paths: { policy: string; db: string },
  mcp: Mcp,
): Promise<number> {
  const [given, ...rest] = args;
  if (given === undefined || rest.length > 0) throw new UsageError(`expected: warden mcp ${how} FILE`);
  const file = resolve(io.cwd, given);
  if (!existsSync(file)) throw missing(`no file ${file}`);
  const text = readFileSync(file, "utf8");
  const doc = clientConfig(file, text, mcp);
  const backup = `${file}.warden-backup`;
  const changes =
    how === "wrap"
      ? mcp.wrapConfig(doc, {
          // The published package at this version: the same on every machine, and pinned for warden scan.
          launcher: ["npx", "-y", `agent-warden@${packageVersion()}`],
          policy: mcp.clientPath(file, paths.policy),
          db: isPostgresUrl(paths.db) ? paths.db : mcp.clientPath(file, paths.db),
        })
      : mcp.unwrapConfig(doc);
  for (const c of changes) io.stdout(`${c.server}: ${c.action}`);
  if (!changes.some((c) => c.action === "wrapped" || c.action === "unwrapped")) {
    io.stdout(`${file}: nothing to change`);
    return 0;
  }
  // Checked before anything is written, so a file that cannot be rewritten is left as it is, backup and all.
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o222) === 0) throw missing(`${file} is read-only (mode ${mode.toString(8)}): nothing changed`);
  // Unwrapping the file wrap wrote from the backup gives the backup back byte for byte (comments and all).
  const restored = how === "unwrap" ? sameAsBackup(backup, doc, mcp) : null;
  try {
    writeFileSync(backup, text, { mode: mode | 0o200 });
    writeFileSync(file, restored ?? `${JSON.stringify(doc, null, 2)}\n`);
  } catch (err) {
    throw missing(`cannot write ${file} or its backup: ${err instanceof Error ? err.message : String(err)}`);
  }
  io.stdout(`${file}: ${how === "wrap" ? "wrapped" : "unwrapped"} (the previous version is in ${backup})`);
  // Wrapping adds no finding, and hides none: say now what `warden scan` will still report of the servers.
  if (how === "wrap") {
    for (const f of (await checkMcpConfig(file, readFileSync(file, "utf8"))).findings)
      io.stderr(`warden mcp wrap: note: ${f.message} (warden scan: ${f.ruleId}, ${f.severity})`);
  }
  // Not refused (the policy may come with the next commit), but every wrapped server fails until it exists.
  if (how === "wrap" && !existsSync(paths.policy))
    io.stderr(
      `warden mcp wrap: no policy at ${paths.policy} yet; the wrapped servers will not start without it (warden init)`,
    );
  return 0;
}

/** An MCP client config, parsed (JSONC allowed); anything else is refused with the file named. */
function clientConfig(file: string, text: string, mcp: Mcp): unknown {
  let doc: unknown;
  try {
    doc = JSON.parse(stripJsonc(text));
  } catch (err) {
    throw missing(
      `${file} is not JSON (${err instanceof Error ? err.message : String(err)}): nothing changed`,
    );
  }
  if (mcp.serverTable(doc) === null)
    throw missing(`${file} has no mcpServers or servers table (not an MCP client config): nothing changed`);
  return doc;
}

/** The backup's text when it holds what `doc` (unwrapped) says, else null. */
function sameAsBackup(backup: string, doc: unknown, mcp: Mcp): string | null {
  if (!existsSync(backup)) return null;
  const text = readFileSync(backup, "utf8");
  try {
    const before: unknown = JSON.parse(stripJsonc(text));
    return mcp.sameConfig(before, doc) ? text : null;
  } catch {
    return null;
  }
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

function hostPort(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new UsageError("--listen takes HOST:PORT, e.g. 127.0.0.1:8788");
  return { host: m[1] ?? m[2] ?? "127.0.0.1", port };
}

async function listTools(io: CliIO, db: string, json: boolean, mcp: Mcp): Promise<number> {
  const states = await withStore(db, (store) => mcp.pinStates(store));
  if (json) {
    io.stdout(JSON.stringify(states));
    return 0;
  }
  if (states.length === 0) {
    io.stdout("nothing pinned yet (warden mcp pins what an upstream shows the first time it sees it)");
    return 0;
  }
  // Names, excerpts and definitions are what an upstream server wrote: escaped, they cannot drive the
  // terminal of the person reviewing them.
  const out = (line: string) => io.stdout(safeText(line));
  for (const s of states) {
    const what =
      s.item === "tool" ? `${s.server}/${s.name}` : `${s.server} ${s.item}${s.name ? ` ${s.name}` : ""}`;
    out(`${s.state.padEnd(8)} ${what}  ${s.pinned.slice(0, 19)}… ${s.action} ${s.since}`);
    if (s.pending === null) continue;
    out(`    seen ${s.pending.slice(0, 19)}… → ${approveCommand(s)}`);
    for (const f of s.findings) out(`    finding ${f.kind}: ${f.excerpt}`);
    if (s.state === "changed" || s.pinnedDefinition !== null) {
      const paths = mcp.definitionDiff(s.pinnedDefinition, s.pendingDefinition).map((c) => c.path);
      if (s.pinnedDefinition !== null && paths.length > 0) out(`    changed: ${paths.join(", ")}`);
    }
  }
  return 0;
}

function approveCommand(s: { server: string; item: string; name: string }): string {
  const flag: Record<string, string> = {
    tool: ` ${quoteArg(s.name)}`,
    prompt: ` --prompt ${quoteArg(s.name)}`,
    resource: ` --resource ${quoteArg(s.name)}`,
    "resource-template": ` --template ${quoteArg(s.name)}`,
    instructions: " --instructions",
  };
  return `warden mcp approve ${s.server}${flag[s.item] ?? ""}`;
}

const quoteArg = (text: string): string =>
  /^[\w.:/@-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;

function approveSubject(
  args: string[],
  values: { prompt?: string; resource?: string; template?: string; instructions?: boolean },
): PinSubject {
  const [server, tool, ...rest] = args;
  const chosen = [
    tool === undefined ? null : ({ item: "tool", name: tool } as const),
    values.prompt === undefined ? null : ({ item: "prompt", name: values.prompt } as const),
    values.resource === undefined ? null : ({ item: "resource", name: values.resource } as const),
    values.template === undefined ? null : ({ item: "resource-template", name: values.template } as const),
    values.instructions ? ({ item: "instructions", name: "" } as const) : null,
  ].filter((c) => c !== null);
  if (server === undefined || rest.length > 0 || chosen.length !== 1 || chosen[0] === undefined) {
    throw new UsageError(
      "expected: warden mcp approve SERVER TOOL, or SERVER with one of --prompt, --resource, --template, --instructions",
    );
  }
  return { server, ...chosen[0] };
}

async function approve(
  io: CliIO,
  paths: WardenPaths,
  subject: PinSubject,
  force: boolean,
  mcp: Mcp,
): Promise<number> {
  requireLedger(paths, { initFlag: false });
  const ledger = await openWriter(paths);
  try {
    const what = mcp.describeSubject(subject);
    // What an upstream server wrote, escaped (see listTools).
    const out = (line: string) => io.stdout(safeText(line));
    const state = (await mcp.pinStates(ledger.store)).find(
      (s) => s.server === subject.server && s.item === subject.item && s.name === subject.name,
    );
    // What the approver is about to accept, before it is accepted (or refused for its findings).
    if (state?.pending) {
      out(`${what}: ${state.state}, pinned ${state.pinned} → seen ${state.pending}`);
      // Poisoned on first sight, the definition is its own pin: the approver reads it whole.
      const firstSight = state.pinned === state.pending;
      if (firstSight) io.stdout("first seen with findings; the definition:");
      else if (state.pinnedDefinition === null)
        io.stdout("the pin does not record its definition (written before definitions were kept); seen:");
      const before = firstSight ? null : state.pinnedDefinition;
      for (const line of mcp.formatDiff(mcp.definitionDiff(before, state.pendingDefinition)))
        out(`  ${line}`);
      for (const f of state.findings) out(`  finding ${f.kind}: ${f.excerpt}`);
    }
    const done = await mcp.approvePin(ledger, subject, `local:${userInfo().username}`, { force });
    out(`approved ${what}: ${done.previous} → ${done.digest}`);
    return 0;
  } finally {
    await ledger.close();
  }
}

/**
 * The ledger as a writer: the SQLite file with the key beside it, or PostgreSQL with the key every
 * instance shares (a chain of its own, as each instance has).
 */
async function openWriter(paths: WardenPaths): Promise<Ledger> {
  const { store, signingKey, chain } = isPostgresUrl(paths.db)
    ? await openPostgres(paths.db, paths.key, undefined)
    : {
        store: await SqliteStore.open(paths.db),
        signingKey: await ledgerSigningKey(paths.db),
        chain: undefined,
      };
  return Ledger.open({ store, signingKey, chain }).catch(async (err: unknown) => {
    await store.close().catch(() => undefined);
    throw err;
  });
}
