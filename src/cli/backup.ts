// `warden backup --to FILE`: a consistent copy of a live SQLite ledger (WAL included) through SQLite's online backup.
import { closeSync, existsSync, openSync } from "node:fs";
import { copyFile } from "node:fs/promises";
import Database from "better-sqlite3";
import { defaultKeyPaths, isPostgresUrl, verifyDatabase } from "../ledger/index.js";
import { parse, printHelp, requireValue, runCommand, UsageError } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { PATH_OPTIONS, wardenPaths } from "./paths.js";

const HELP = `usage: warden backup --to FILE [--dir DIR | --db FILE]

Copies a SQLite ledger while warden start keeps writing, through SQLite's online backup: the copy
holds every committed record, also those still in ledger.db-wal (ledger.db copied alone, while the
service runs, lacks them). ledger.pub is copied beside the backup (FILE with .pub), never ledger.key.
The copy is then verified. For PostgreSQL use pg_dump.`;

export const backupCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, HELP, async () => {
    const { values } = parse(argv, { ...PATH_OPTIONS, to: { type: "string" } }, false);
    if (values.help) return printHelp(io, HELP);
    const to = requireValue(values.to, "--to FILE");
    const db = wardenPaths(io, values).db;
    if (isPostgresUrl(db))
      throw new UsageError("warden backup copies a SQLite ledger; use pg_dump for PostgreSQL");
    if (!existsSync(db)) throw new UsageError(`no ledger at ${db}`);
    if (existsSync(to)) throw new UsageError(`${to} exists; choose a new file`);
    const pages = await backupLedger(db, to);
    const verdict = await verifyDatabase(to);
    if (!verdict.ok) {
      io.stdout(`backup ${to} written, but it does not verify: ${verdict.problem}: ${verdict.message}`);
      return 1;
    }
    io.stdout(`backup ${to}: ${pages} pages, ${verdict.records} records, verified`);
    return 0;
  });

/** SQLite's online backup of `db` into `to` (readers and the writer go on), and the public key beside it. */
export async function backupLedger(db: string, to: string): Promise<number> {
  const source = new Database(db, { readonly: true, fileMustExist: true });
  try {
    // Owner-only from its first byte, like the ledger it copies.
    closeSync(openSync(to, "wx", 0o600));
    const { totalPages } = await source.backup(to);
    const pub = defaultKeyPaths(db).publicKey;
    if (existsSync(pub)) await copyFile(pub, defaultKeyPaths(to).publicKey);
    return totalPages;
  } finally {
    source.close();
  }
}
