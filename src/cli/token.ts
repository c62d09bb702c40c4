// `warden token create | revoke`: mints or revokes a bearer token for the HTTP service and the dashboard.
import { createToken, ROLES, type Role } from "../server/index.js";
import { parse, printHelp, runCommand, UsageError } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { withStore } from "./open-store.js";
import { PATH_OPTIONS, wardenPaths } from "./paths.js";

const HELP = `usage: warden token create --role agent|approver|auditor|admin [--agent NAME] [--name WHO] [--json] [--db FILE]
       warden token revoke ID [--db FILE]

Roles: agent (opens sessions for its own --agent and asks for decisions; never reads the ledger or
approves), approver (decides pending approvals; --name is required and is what the ledger records as
the approver; it is stored trimmed and NFKC-normalised, and refused if it differs from an existing
token's name only by case, spacing or look-alike characters), auditor (reads the ledger and the dashboard), admin (everything). Only the token's
SHA-256 digest is stored; the token is printed once. A revoked token stops working within 5 s.`;

export const tokenCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, HELP, async () => {
    const { values, positionals } = parse(argv, {
      ...PATH_OPTIONS,
      role: { type: "string" },
      agent: { type: "string" },
      name: { type: "string" },
      json: { type: "boolean" },
    });
    if (values.help) return printHelp(io, HELP);
    const db = wardenPaths(io, values).db;
    if (positionals[0] === "revoke" && positionals.length === 2) {
      const id = positionals[1]!;
      const revoked = await withStore(db, (store) => store.revokeToken(id, new Date().toISOString()));
      if (!revoked) throw new UsageError(`no unrevoked token ${id}`);
      io.stdout(`revoked ${id}`);
      return 0;
    }
    if (positionals[0] !== "create" || positionals.length !== 1)
      throw new UsageError("expected: warden token create | warden token revoke ID");
    if (!values.role || !ROLES.includes(values.role as Role)) {
      throw new UsageError(`--role must be one of ${ROLES.join(", ")}`);
    }
    const minted = await withStore(db, (store) =>
      createToken(store, {
        role: values.role as Role,
        agent: values.agent ?? null,
        name: values.name ?? null,
      }),
    );
    io.stdout(values.json ? JSON.stringify(minted) : minted.token);
    return 0;
  });
