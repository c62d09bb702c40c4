// `warden token create`: mints a bearer token for the HTTP service; the secret is printed once.
import { createToken, ROLES, type Role } from "../server/index.js";
import { parse, printHelp, runCommand, UsageError } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { withStore } from "./open-store.js";
import { PATH_OPTIONS, wardenPaths } from "./paths.js";

const HELP = `usage: warden token create --role agent|approver|auditor|admin [--agent NAME] [--json] [--db FILE]

Roles: agent (opens sessions for its own --agent and asks for decisions; never reads the ledger or
approves), approver, auditor (reads the ledger), admin (everything). Only the token's SHA-256 digest
is stored; the token is printed once.`;

export const tokenCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, HELP, async () => {
    const { values, positionals } = parse(argv, {
      ...PATH_OPTIONS,
      role: { type: "string" },
      agent: { type: "string" },
      json: { type: "boolean" },
    });
    if (values.help) return printHelp(io, HELP);
    if (positionals[0] !== "create" || positionals.length !== 1)
      throw new UsageError("expected: warden token create");
    if (!values.role || !ROLES.includes(values.role as Role)) {
      throw new UsageError(`--role must be one of ${ROLES.join(", ")}`);
    }
    const minted = await withStore(wardenPaths(io, values).db, (store) =>
      createToken(store, { role: values.role as Role, agent: values.agent ?? null }),
    );
    io.stdout(values.json ? JSON.stringify(minted) : minted.token);
    return 0;
  });
