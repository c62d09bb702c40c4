// `warden export --jsonl FILE|-`: the ledger as JSON lines that `warden verify --jsonl` accepts.
import { existsSync } from "node:fs";
import { exportJsonl, isPostgresUrl } from "../ledger/index.js";
import { missing, parse, printHelp, requireValue, runCommand } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { commandSigningKey, KEY_FILE_OPTION, PATH_OPTIONS, wardenPaths } from "./paths.js";
import { progressBar } from "./progress.js";
import { isClosedPipe, isStdout, stdoutStream } from "./stdout-stream.js";

const HELP = `usage: warden export --jsonl FILE|- [--db FILE] [--key-file LEDGER.key] [--quiet]

Writes every record and signed checkpoint, in chain order, with the public key in a header line and
an end line signed with the ledger key (its totals and each chain's last record), so no line can be
dropped or the end rewritten unnoticed. --jsonl - writes to standard output (the summary then goes
to stderr). The key: --key-file, else $WARDEN_LEDGER_KEY_FILE, else the ledger.key beside a SQLite
ledger (DIR/ledger.key for PostgreSQL). On a terminal a progress bar shows on stderr (--quiet: none).
Check the file anywhere with: warden verify --jsonl FILE [--key PUBLIC_KEY.pem]`;

export const exportCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, HELP, async () => {
    const { values } = parse(
      argv,
      {
        ...PATH_OPTIONS,
        ...KEY_FILE_OPTION,
        jsonl: { type: "string" },
        quiet: { type: "boolean", short: "q" },
      },
      false,
    );
    if (values.help) return printHelp(io, HELP);
    const out = requireValue(values.jsonl, "--jsonl FILE");
    const paths = wardenPaths(io, values);
    if (!isPostgresUrl(paths.db) && !existsSync(paths.db)) throw missing(`no ledger at ${paths.db}`);
    const signingKey = await commandSigningKey(io, values, paths);
    const progress = progressBar(io, "exporting", values.quiet === true);
    let written: Awaited<ReturnType<typeof exportJsonl>>;
    try {
      written = await exportJsonl(paths.db, isStdout(out) ? stdoutStream(io) : out, {
        signingKey,
        onProgress: progress.update,
      });
    } catch (err) {
      if (isStdout(out) && isClosedPipe(err)) return 0;
      throw err;
    } finally {
      progress.stop();
    }
    const summary = `exported ${written.records} records and ${written.checkpoints} checkpoints`;
    if (isStdout(out)) io.stderr(`${summary} to standard output`);
    else io.stdout(`${summary} to ${out}`);
    return 0;
  });
