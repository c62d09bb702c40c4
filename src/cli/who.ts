// `warden who CALL_ID`: the accountability chain of one call.
import { accountabilityOf, formatAccountability } from "../identity/index.js";
import { parse, printHelp, runCommand, UsageError } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { withStore } from "./open-store.js";
import { PATH_OPTIONS, wardenPaths } from "./paths.js";

const HELP = `usage: warden who CALL_ID [--json] [--db FILE]

Prints who is accountable for a call: prompting user → agent (owner team, developer) → session
intent → tool, arguments and rationale → rule and policy digest → approver if any → outcome.`;

export const whoCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, HELP, async () => {
    const { values, positionals } = parse(argv, { ...PATH_OPTIONS, json: { type: "boolean" } });
    if (values.help) return printHelp(io, HELP);
    if (positionals.length !== 1) throw new UsageError("give exactly one CALL_ID");
    const chain = await withStore(wardenPaths(io, values).db, (store) =>
      accountabilityOf(store, positionals[0]!),
    );
    io.stdout(values.json ? JSON.stringify(chain) : formatAccountability(chain));
    return 0;
  });
