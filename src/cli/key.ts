// `warden key rotate`: a new signing key for a SQLite ledger whose key was lost or must be retired.
import { existsSync } from "node:fs";
import { isPostgresUrl, rotateSigningKey } from "../ledger/index.js";
import { missing, parse, printHelp, requireValue, runCommand, UsageError, unknownChoice } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { PATH_OPTIONS, wardenPaths } from "./paths.js";

const HELP = `usage: warden key rotate --reason TEXT [--dir DIR | --db FILE]

For a ledger whose ledger.key was lost (a crash, a dead disk) or must be retired (it leaked): writes a
new key pair as ledger.next.key|pub, appends a key.rotate record (old key id, new key id and public
key, the reason) sealed by a checkpoint signed with the new key, then moves what is left of ledger.key
and ledger.pub to ledger.retired-<time>.key|pub and the new pair to their names. A rotation a crash
cut short is finished (or, before its record, dropped) by the next start or rotate. Stop warden start
first, then start it again afterwards.

warden verify follows the rotation: with the files beside the ledger it trusts ledger.pub and the
retired public keys; with --key give the old and the new public key (--key old.pub --key new.pub).
Checkpoints after the record signed with the old key fail, so a leaked old key cannot extend the
ledger. A SQLite ledger only: on PostgreSQL every instance shares one registered key.`;

export const keyCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, HELP, async () => {
    const { values, positionals } = parse(argv, { ...PATH_OPTIONS, reason: { type: "string" } });
    if (values.help) return printHelp(io, HELP);
    if (positionals[0] === undefined) throw new UsageError("usage: warden key rotate");
    if (positionals[0] !== "rotate") throw unknownChoice("key command", positionals[0], ["rotate"]);
    if (positionals.length !== 1) throw new UsageError("warden key rotate takes no other arguments");
    const reason = requireValue(values.reason, "--reason TEXT");
    const db = wardenPaths(io, values).db;
    if (isPostgresUrl(db)) throw new UsageError("warden key rotate works on a SQLite ledger only");
    if (!existsSync(db)) throw missing(`no ledger at ${db}`);
    const result = await rotateSigningKey(db, { reason });
    for (const file of result.retired) io.stdout(`retired ${file}`);
    io.stdout(
      `rotated ${result.from ?? "(old key unknown)"} → ${result.to} at ${result.record.chain}#${result.record.seq}`,
    );
    io.stdout("keep a copy of the new ledger.pub where the ledger's host cannot write, beside the old one");
    return 0;
  });
