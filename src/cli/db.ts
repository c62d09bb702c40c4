// `warden db migrate | status`: the PostgreSQL schema, applied or inspected without starting the service.
import { isPostgresUrl, PG_SCHEMA_VERSION, PostgresStore, redactUrl } from "../ledger/index.js";
import { parse, printHelp, runCommand, UsageError, unknownChoice } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { PATH_OPTIONS, wardenPaths } from "./paths.js";

const HELP = `usage: warden db migrate [--db postgres://…] [--schema NAME] [--json]

Applies the PostgreSQL ledger's pending schema migrations (warden start runs them too), one instance
at a time, each in its own transaction. The database comes from --db or WARDEN_DB; the schema from
--schema, the URL's ?schema=NAME, or public. Prints the version before and after (this Warden writes
version ${PG_SCHEMA_VERSION}). A SQLite ledger migrates itself when opened.`;

export const dbCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, HELP, async () => {
    const { values, positionals } = parse(argv, {
      ...PATH_OPTIONS,
      schema: { type: "string" },
      json: { type: "boolean" },
    });
    if (values.help) return printHelp(io, HELP);
    if (positionals[0] === undefined) throw new UsageError("expected: warden db migrate");
    if (positionals[0] !== "migrate") throw unknownChoice("db command", positionals[0], ["migrate"]);
    if (positionals.length > 1) throw new UsageError("warden db migrate takes no other arguments");
    const db = wardenPaths(io, values).db;
    if (!isPostgresUrl(db)) throw new UsageError("warden db migrate needs --db postgres://… (or WARDEN_DB)");
    const result = await PostgresStore.migrate(db, values.schema ? { schema: values.schema } : {});
    if (values.json) {
      io.stdout(JSON.stringify(result));
      return 0;
    }
    const where = `${redactUrl(db)} (schema ${result.schema})`;
    io.stdout(
      result.applied.length === 0
        ? `${where}: schema version ${result.to}, nothing to do`
        : `${where}: schema version ${result.from} → ${result.to} (applied ${result.applied.join(", ")})`,
    );
    return 0;
  });
