// `warden mcp`: the MCP gateway (stdio or Streamable HTTP), and `warden mcp tools | approve` for tool pins.
import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import type { McpGateway } from "../adapters/mcp/index.js";
import { defaultKeyPaths, Ledger, loadSigningKey, SqliteStore } from "../ledger/index.js";
import { MCP_SERVER_NAME, type McpServerSpec } from "../policy/index.js";
import { Warden } from "../warden.js";
import { parse, printHelp, runCommand, UsageError } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { withStore } from "./open-store.js";
import { PATH_OPTIONS, wardenPaths } from "./paths.js";

type Mcp = typeof import("../adapters/mcp/index.js");

const HELP = `usage: warden mcp [--agent A] [--on-behalf-of U] [--intent I] [--listen HOST:PORT]
                  [--poisoning block|warn] [--name NAME] [--dir DIR] [--policy FILE] [--db FILE]
                  [-- COMMAND ARGS...]
       warden mcp tools [--json]
       warden mcp approve SERVER TOOL

A gateway in front of MCP servers: every tools/call is decided by the policy and recorded in the
ledger before it runs. Upstreams come from the policy's mcp.servers, or from the command after --
(one stdio server, named NAME, default "upstream"). Downstream is stdio, or Streamable HTTP on
HOST:PORT/mcp with --listen (bearer tokens from warden token create; agent or admin role).

Identity (stdio): --agent/--on-behalf-of/--intent, else the policy's mcp.identity. Over HTTP the agent
is the token's; x-warden-on-behalf-of and x-warden-intent headers name the user and intent.

tools     every pinned upstream tool: pinned, changed (blocked) or poisoned (blocked)
approve   pin the definition last seen for a changed or poisoned tool, unblocking it`;

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
    });
    if (values.help) return printHelp(io, HELP);
    const paths = wardenPaths(io, values);
    // Loaded here, not at the top: other commands should not pay for the MCP SDK.
    const mcp = await import("../adapters/mcp/index.js");
    if (positionals[0] === "tools") return listTools(io, paths.db, values.json === true, mcp.pinStates);
    if (positionals[0] === "approve") return approve(io, paths.db, positionals.slice(1), mcp.approveTool);
    if (positionals.length > 0) throw new UsageError(`unknown subcommand "${positionals[0]}"`);
    if (dash !== -1 && command.length === 0) throw new UsageError("no command after --");
    const poisoning = values.poisoning;
    if (poisoning !== undefined && poisoning !== "block" && poisoning !== "warn") {
      throw new UsageError("--poisoning must be block or warn");
    }
    const name = values.name ?? "upstream";
    if (!MCP_SERVER_NAME.test(name)) throw new UsageError("--name uses letters, digits, - and single _");
    const listen = values.listen === undefined ? null : hostPort(values.listen);
    if (!existsSync(paths.policy))
      throw new Error(`no policy at ${paths.policy} (run warden init, or pass --policy)`);

    const warden = await Warden.open({ policy: paths.policy, db: paths.db, watchPolicy: true });
    const servers: McpServerSpec[] | undefined =
      command.length > 0
        ? [{ name, command, env: {}, cwd: null, url: null, headers: {}, sandbox: null }]
        : undefined;
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
      const listener = await gateway.listen(listen);
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

function hostPort(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new UsageError("--listen takes HOST:PORT, e.g. 127.0.0.1:8788");
  return { host: m[1] ?? m[2] ?? "127.0.0.1", port };
}

async function listTools(io: CliIO, db: string, json: boolean, pinStates: Mcp["pinStates"]): Promise<number> {
  const states = await withStore(db, (store) => pinStates(store));
  if (json) {
    io.stdout(JSON.stringify(states));
    return 0;
  }
  if (states.length === 0) {
    io.stdout("no pinned MCP tools yet (they are pinned the first time warden mcp sees them)");
    return 0;
  }
  for (const s of states) {
    const pending = s.pending
      ? ` → ${s.pending.slice(0, 19)}… (warden mcp approve ${s.server} ${s.tool})`
      : "";
    io.stdout(
      `${s.state.padEnd(8)} ${s.server}/${s.tool}  ${s.pinned.slice(0, 19)}… ${s.action} ${s.since}${pending}`,
    );
  }
  return 0;
}

async function approve(
  io: CliIO,
  db: string,
  args: string[],
  approveTool: Mcp["approveTool"],
): Promise<number> {
  const [server, tool] = args;
  if (server === undefined || tool === undefined || args.length !== 2) {
    throw new UsageError("expected: warden mcp approve SERVER TOOL");
  }
  if (!existsSync(db)) throw new UsageError(`no ledger at ${db}`);
  const store = await SqliteStore.open(db);
  const ledger = await Ledger.open({
    store,
    signingKey: await loadSigningKey(defaultKeyPaths(db).privateKey),
  });
  try {
    const done = await approveTool(ledger, server, tool, `local:${userInfo().username}`);
    io.stdout(`approved ${server}/${tool}: ${done.previous} → ${done.digest}`);
    return 0;
  } finally {
    await ledger.close();
  }
}
