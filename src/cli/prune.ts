// `warden prune --through SEQ --archive FILE`: removes archived records from a live SQLite ledger up to a signed checkpoint.
import { existsSync } from "node:fs";
import { isPostgresUrl, pruneSqlite, verifyDatabase } from "../ledger/index.js";
import { missing, parse, printHelp, requireValue, runCommand, UsageError } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { PATH_OPTIONS, wardenPaths } from "./paths.js";

const HELP = `usage: warden prune --through SEQ --archive FILE [--db FILE] [--chain NAME] [--key PUBLIC_KEY.pem …]

Removes a SQLite ledger's records up to and including SEQ, which must be the seq of a signed
checkpoint, and the checkpoints before it. Refused (exit 1, LEDGER_PRUNE_REFUSED) unless FILE, an
export made with warden export, verifies with the ledger's public key (--key, else the keys beside
the ledger), holds a signed checkpoint at or after SEQ, and the ledger verifies against it: the
records removed are then exactly the archive's. At least one record must stay after SEQ. The checkpoint at SEQ stays, so warden verify
checks the ledger from it on. --chain names the chain when the ledger holds several. Keep the archive,
on write-once storage, with the public keys; see docs/ledger.md (Retention).`;

export const pruneCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, HELP, async () => {
    const { values } = parse(
      argv,
      {
        ...PATH_OPTIONS,
        through: { type: "string" },
        archive: { type: "string" },
        chain: { type: "string" },
        key: { type: "string", multiple: true },
      },
      false,
    );
    if (values.help) return printHelp(io, HELP);
    const throughText = requireValue(values.through, "--through SEQ");
    if (!/^[1-9]\d*$/.test(throughText)) throw new UsageError("--through takes a positive integer");
    const through = Number(throughText);
    const archive = requireValue(values.archive, "--archive FILE");
    if (!existsSync(archive)) throw missing(`no file ${archive}`);
    const db = wardenPaths(io, values).db;
    if (isPostgresUrl(db)) throw new UsageError("warden prune removes records from a SQLite ledger only");
    if (!existsSync(db)) throw missing(`no ledger at ${db}`);
    const done = await pruneSqlite(db, {
      through,
      archive,
      ...(values.chain ? { chain: values.chain } : {}),
      ...(values.key ? { publicKey: values.key } : {}),
    });
    io.stdout(
      `pruned chain ${done.chain} through seq ${through}: ${done.removedRecords} records and ${done.removedCheckpoints} checkpoints removed`,
    );
    const after = await verifyDatabase(db, values.key ? { publicKey: values.key } : {});
    if (!after.ok) {
      io.stdout(`the ledger does not verify after pruning: ${after.problem}: ${after.message}`);
      return 1;
    }
    io.stdout(`the ledger verifies from checkpoint ${through}: ${after.records} records`);
    return 0;
  });
