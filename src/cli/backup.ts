// `warden backup --to FILE`: a consistent copy of a live SQLite ledger (WAL included) through SQLite's online backup.
import { closeSync, createReadStream, existsSync, openSync } from "node:fs";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, parse as parsePath } from "node:path";
import { pipeline } from "node:stream/promises";
import Database from "better-sqlite3";
import {
  defaultKeyPaths,
  isPostgresUrl,
  publicKeyFilesBeside,
  publishDurably,
  tempPathBeside,
  verifyDatabase,
} from "../ledger/index.js";
import { missing, parse, printHelp, requireValue, runCommand, UsageError } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { PATH_OPTIONS, wardenPaths } from "./paths.js";
import { isClosedPipe, isStdout, stdoutStream } from "./stdout-stream.js";

const HELP = `usage: warden backup --to FILE|- [--dir DIR | --db FILE]

Copies a SQLite ledger while warden start keeps writing, through SQLite's online backup: the copy
holds every committed record, also those still in ledger.db-wal (ledger.db copied alone, while the
service runs, lacks them). ledger.pub is copied beside the backup (FILE with .pub), and the public
keys rotations retired (ledger.retired-*.pub, as FILE's name with .retired-*.pub), never ledger.key.
The copy takes the name FILE only once complete (a full disk leaves none); it is then verified. --to - writes the verified copy to standard output (no .pub; the summary
goes to stderr), e.g. warden backup --to - | gzip > ledger.db.gz. For PostgreSQL use pg_dump.`;

export const backupCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, HELP, async () => {
    const { values } = parse(argv, { ...PATH_OPTIONS, to: { type: "string" } }, false);
    if (values.help) return printHelp(io, HELP);
    const to = requireValue(values.to, "--to FILE");
    const db = wardenPaths(io, values).db;
    if (isPostgresUrl(db))
      throw new UsageError("warden backup copies a SQLite ledger; use pg_dump for PostgreSQL");
    if (!existsSync(db)) throw missing(`no ledger at ${db}`);
    if (isStdout(to)) return backupToStdout(io, db);
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

/** The backup made in a private temporary folder, verified with the ledger's public key, then streamed out. */
async function backupToStdout(io: CliIO, db: string): Promise<number> {
  const folder = await mkdtemp(join(tmpdir(), "warden-backup-"));
  try {
    const copy = join(folder, "ledger.db");
    const pages = await backupLedger(db, copy);
    const verdict = await verifyDatabase(copy);
    if (!verdict.ok) {
      io.stderr(`the backup does not verify, nothing written: ${verdict.problem}: ${verdict.message}`);
      return 1;
    }
    try {
      await pipeline(createReadStream(copy), stdoutStream(io), { end: false });
    } catch (err) {
      if (isClosedPipe(err)) return 0;
      throw err;
    }
    io.stderr(`backup to standard output: ${pages} pages, ${verdict.records} records, verified`);
    return 0;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * SQLite's online backup of `db` into `to` (readers and the writer go on), and the public keys beside it
 * (ledger.pub and those rotations retired).
 * The copy is made under a temporary name and takes `to` only once complete and on disk: a full disk or
 * any other failure leaves no file at `to`, not an empty or cut one.
 */
export async function backupLedger(db: string, to: string): Promise<number> {
  const source = new Database(db, { readonly: true, fileMustExist: true });
  const tmp = tempPathBeside(to);
  try {
    closeSync(openSync(tmp, "wx", 0o600));
    const { totalPages } = await source.backup(tmp);
    await publishDurably(tmp, to);
    const pub = defaultKeyPaths(db).publicKey;
    if (existsSync(pub)) await copyFile(pub, defaultKeyPaths(to).publicKey);
    // The keys rotations retired, so the checkpoints signed before a rotation verify beside the copy too.
    const from = parsePath(db).name;
    const target = join(dirname(to), parsePath(to).name);
    for (const file of publicKeyFilesBeside(db)) {
      const name = basename(file);
      if (name.startsWith(`${from}.retired-`)) await copyFile(file, `${target}${name.slice(from.length)}`);
    }
    return totalPages;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  } finally {
    source.close();
  }
}
