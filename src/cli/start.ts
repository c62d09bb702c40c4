// `warden start`: the HTTP decision service, with the policy reloaded on SIGHUP and on file change.
import { existsSync, readFileSync } from "node:fs";
import { isPostgresUrl } from "../ledger/index.js";
import { connectionChanges, type RunningServer, startServer } from "../server/index.js";
import { Warden } from "../warden.js";
import { parse, printHelp, runCommand, UsageError } from "./args.js";
import { requireLedger, requirePolicy } from "./existing.js";
import { initWarden } from "./init.js";
import type { CliIO, Command } from "./io.js";
import { PATH_OPTIONS, wardenPaths } from "./paths.js";

const HELP = `usage: warden start [--dir DIR] [--policy FILE] [--db FILE|postgres://…] [--chain NAME]
                    [--host HOST] [--port PORT] [--init | --quickstart]

Serves the decision API (POST /v1/sessions, /v1/decisions, …), the approvals API, the dashboard (/;
log in with a token), /healthz and /metrics on HOST:PORT (default 127.0.0.1:8787; env WARDEN_HOST,
WARDEN_PORT). The policy is reloaded on SIGHUP and when
its file changes; an invalid policy is refused and the old one stays. A policy that does not load
at start stops the start (exit 1).

The policy's server: section sets the HTTP limits (docs/policy.md#server): maxConnections (4096),
headersTimeout (10s), requestTimeout (60s), and each token's budgets under perToken
(requestsPerSecond, requestBurst, bytesPerSecond, byteBurst, maxInFlight). A reload applies perToken
at once; the connection limits are read when the listener starts, and a reload that changes them
says on stderr that they wait for a restart.

--db postgres://…  share one PostgreSQL database with other instances (env WARDEN_DB). Each instance
              writes its own chain: --chain NAME (env WARDEN_CHAIN; letters, digits, '.', '_', '-'),
              default the first free one of node-1, node-2, …; a chain another live instance writes
              is refused. Checkpoints are
              signed with DIR/ledger.key, which every instance must share.

The ledger, its signing key and the policy must exist (warden init makes them): a --db or --dir
that names nothing is refused (exit 2) and named, never created.

--init        create what is missing first, as warden init does (a new PostgreSQL database: the
              signing key DIR/ledger.key)
--quickstart  first run: create DIR (see warden init) with an example policy, keys, the ledger and
              an admin token (kept in DIR/admin.token, mode 0600), and print a curl example.`;

export const startCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, HELP, async () => {
    const { values } = parse(
      argv,
      {
        ...PATH_OPTIONS,
        host: { type: "string" },
        port: { type: "string" },
        chain: { type: "string" },
        quickstart: { type: "boolean" },
        init: { type: "boolean" },
      },
      false,
    );
    if (values.help) return printHelp(io, HELP);
    const paths = wardenPaths(io, values);
    const host = values.host ?? io.env.WARDEN_HOST ?? "127.0.0.1";
    const port = Number(values.port ?? io.env.WARDEN_PORT ?? 8787);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError("--port must be 0–65535");
    if (values.quickstart && isPostgresUrl(paths.db)) {
      throw new UsageError(
        "--quickstart sets up a local SQLite ledger; with PostgreSQL run warden db migrate",
      );
    }
    if (values.quickstart || (values.init && !isPostgresUrl(paths.db))) {
      const init = await initWarden(paths, { adminToken: values.quickstart === true });
      for (const path of init.created) io.stdout(`created ${path}`);
    }
    requirePolicy(paths);
    // PostgreSQL with --init: Warden.open creates DIR/ledger.key, only while the database has no key.
    if (!values.init && !values.quickstart) requireLedger(paths);

    // Set once listening: a reload compares the policy's connection limits with the ones it keeps.
    let server: RunningServer | null = null;
    const warden: Warden = await Warden.open({
      policy: paths.policy,
      db: paths.db,
      ...(isPostgresUrl(paths.db)
        ? { signingKey: paths.key, chain: values.chain ?? io.env.WARDEN_CHAIN }
        : values.chain
          ? { chain: values.chain }
          : {}),
      watchPolicy: true,
      // The policy's `export:` sinks run in this process; their secrets come from this environment.
      export: { env: io.env },
      onPolicyReload: (result) => {
        if (!result.ok) {
          io.stderr(`warden: policy reload refused, the previous policy stays: ${result.error.message}`);
          return;
        }
        if (!result.changed) return;
        io.stdout(`warden: policy reloaded (${result.digest})`);
        const kept =
          server === null
            ? []
            : connectionChanges("server", server.connections, warden.policy.server.connections);
        if (kept.length > 0)
          io.stderr(
            `warden: ${kept.join(", ")}: connection limits take effect when warden start restarts; until then the listener keeps the ones it started with`,
          );
      },
    });
    server = await startServer(warden, { host, port });
    warden.approvals.useServerUrl(server.url);
    io.stdout(
      `warden: listening on ${server.url} (policy ${warden.policy.digest}, mode ${warden.policy.mode}, chain ${warden.ledger.chain})`,
    );
    const sinks = [...(warden.exporter?.stats().keys() ?? [])];
    if (sinks.length > 0) io.stdout(`warden: exporting the ledger to ${sinks.join(", ")}`);
    if (values.quickstart) printQuickstart(io, server.url, paths.adminToken);

    await new Promise<void>((resolve) => {
      const reload = () =>
        void warden.reloadPolicy().catch((err) => io.stderr(`warden: reload failed: ${err}`));
      const stop = () => resolve();
      process.on("SIGHUP", reload);
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    io.stdout("warden: shutting down");
    await server.close();
    await warden.close();
    return 0;
  });

function printQuickstart(io: CliIO, url: string, tokenFile: string) {
  if (!existsSync(tokenFile)) return;
  const token = readFileSync(tokenFile, "utf8").trim();
  io.stdout(`
Admin token (also in ${tokenFile}):
  ${token}

Try it:
  export WARDEN_TOKEN=${token}
  SESSION=$(curl -s ${url}/v1/sessions -H "authorization: Bearer $WARDEN_TOKEN" -H 'content-type: application/json' \\
    -d '{"agent":"support-bot","onBehalfOf":"alice@example.com","intent":"answer ticket #123"}' \\
    | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).id')
  curl -s ${url}/v1/decisions -H "authorization: Bearer $WARDEN_TOKEN" -H 'content-type: application/json' \\
    -d '{"session":"'$SESSION'","tool":"read_ticket","args":{"id":123},"rationale":"the user asked about ticket 123"}'
  curl -s "${url}/v1/ledger?limit=5" -H "authorization: Bearer $WARDEN_TOKEN"

Dashboard: ${url}/ (log in with the admin token; an email to an outside address asks for approval)
`);
}
