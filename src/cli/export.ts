// `warden export --jsonl FILE`: the ledger as JSON lines that `warden verify --jsonl` accepts.
import { existsSync } from "node:fs";
import { exportJsonl, isPostgresUrl } from "../ledger/index.js";
import { parse, printHelp, requireValue, runCommand, UsageError } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { PATH_OPTIONS, wardenPaths } from "./paths.js";

const HELP = `usage: warden export --jsonl FILE [--db FILE]

Writes every record and signed checkpoint, in chain order, with the public key in a header line.
Check the file anywhere with: warden verify --jsonl FILE [--key PUBLIC_KEY.pem]`;

export const exportCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, HELP, async () => {
    const { values } = parse(argv, { ...PATH_OPTIONS, jsonl: { type: "string" } }, false);
    if (values.help) return printHelp(io, HELP);
    const out = requireValue(values.jsonl, "--jsonl FILE");
    const db = wardenPaths(io, values).db;
    if (!isPostgresUrl(db) && !existsSync(db)) throw new UsageError(`no ledger at ${db}`);
    const written = await exportJsonl(db, out);
    io.stdout(`exported ${written.records} records and ${written.checkpoints} checkpoints to ${out}`);
    return 0;
  });
