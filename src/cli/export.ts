// `warden export --jsonl FILE`: the ledger as JSON lines that `warden verify --jsonl` accepts.
import { existsSync } from "node:fs";
import { exportJsonl, isPostgresUrl, loadSigningKey } from "../ledger/index.js";
import { parse, printHelp, requireValue, runCommand, UsageError } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { KEY_FILE_OPTION, PATH_OPTIONS, signingKeyPath, wardenPaths } from "./paths.js";

const HELP = `usage: warden export --jsonl FILE [--db FILE] [--key-file LEDGER.key]

Writes every record and signed checkpoint, in chain order, with the public key in a header line and
an end line signed with the ledger key (its totals and each chain's last record), so no line can be
dropped or the end rewritten unnoticed. The key: --key-file, else $WARDEN_LEDGER_KEY_FILE, else the
ledger.key beside a SQLite ledger (DIR/ledger.key for PostgreSQL).
Check the file anywhere with: warden verify --jsonl FILE [--key PUBLIC_KEY.pem]`;

export const exportCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, HELP, async () => {
    const { values } = parse(argv, { ...PATH_OPTIONS, ...KEY_FILE_OPTION, jsonl: { type: "string" } }, false);
    if (values.help) return printHelp(io, HELP);
    const out = requireValue(values.jsonl, "--jsonl FILE");
    const paths = wardenPaths(io, values);
    const db = paths.db;
    if (!isPostgresUrl(db) && !existsSync(db)) throw new UsageError(`no ledger at ${db}`);
    const signingKey = await loadSigningKey(signingKeyPath(io, values, paths));
    const written = await exportJsonl(db, out, { signingKey });
    io.stdout(`exported ${written.records} records and ${written.checkpoints} checkpoints to ${out}`);
    return 0;
  });
