// `warden verify`: checks the hash chain and signed checkpoints of a ledger or an export, offline.
import { existsSync } from "node:fs";
import { isPostgresUrl, redactUrl, verifyDatabase, verifyJsonl, verifyPostgres } from "../ledger/index.js";
import { safeText } from "../safe-text.js";
import { missing, parse, printHelp, runCommand, UsageError } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { PATH_OPTIONS, wardenPaths } from "./paths.js";
import { progressBar } from "./progress.js";

const HELP = `usage: warden verify [--db FILE|postgres://… | --jsonl FILE] [--key PUBLIC_KEY.pem …]
                     [--against FILE …] [--json] [--quiet]

Recomputes every record's hash and checks every checkpoint's Ed25519 signature. Exit 0 with counts
when intact; exit 1 naming the first bad record or chain when a record was modified, deleted, inserted
or reordered, a checkpoint is forged, the log was cut before its last checkpoint, a chain that a
signed checkpoint names is missing, the records after the last checkpoint (the unsealed tail) are
more or older than the writer's signed cadence allows, or the ledger is empty. On PostgreSQL every
instance's chain is checked, with its checkpoints, in one snapshot. An export's signed end line is
checked too. A ledger or export whose early records were archived verifies from the signed
checkpoint its first record is chained to (a checkpoint line before it, or one in an --against file);
the output names that checkpoint.

--against FILE  checkpoints taken elsewhere (a JSONL export, or a JSONL export sink's file kept by a
                SIEM); each must be here over the same record. Repeat for several files. This catches
                what an attacker holding the database can do unseen: cut the tail, or rewrite it.

Without --key the public key recorded beside the ledger (in the export, or in the database) is used: that only shows
the ledger agrees with itself. Pass --key with a copy of the public key kept elsewhere for the strong
check; after a key rotation give the old and the new key (--key old.pub --key new.pub). See
docs/ledger.md for the trust model. On a terminal a progress bar shows on stderr (--quiet: none).`;

export const verifyCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, HELP, async () => {
    const { values } = parse(
      argv,
      {
        ...PATH_OPTIONS,
        jsonl: { type: "string" },
        key: { type: "string", multiple: true },
        against: { type: "string", multiple: true },
        json: { type: "boolean" },
        quiet: { type: "boolean", short: "q" },
      },
      false,
    );
    if (values.help) return printHelp(io, HELP);
    if (values.jsonl && values.db) throw new UsageError("give --db or --jsonl, not both");
    for (const file of values.against ?? []) if (!existsSync(file)) throw missing(`no file ${file}`);
    const progress = progressBar(io, "verifying", values.quiet === true);
    const options = {
      ...(values.key ? { publicKey: values.key } : {}),
      ...(values.against ? { against: values.against } : {}),
      onProgress: progress.update,
    };
    let target: string;
    let result: Awaited<ReturnType<typeof verifyDatabase>>;
    try {
      if (values.jsonl) {
        target = values.jsonl;
        if (!existsSync(target)) throw missing(`no file ${target}`);
        result = await verifyJsonl(target, options);
      } else {
        const db = wardenPaths(io, values).db;
        if (isPostgresUrl(db)) {
          target = redactUrl(db);
          result = await verifyPostgres(db, options);
        } else {
          target = db;
          if (!existsSync(target)) throw missing(`no ledger at ${target}`);
          result = await verifyDatabase(target, options);
        }
      }
    } finally {
      progress.stop();
    }
    if (values.json) {
      io.stdout(JSON.stringify(result));
      return result.ok ? 0 : 1;
    }
    // Chain names and failure messages come from the ledger verified, which may have been tampered with.
    const say = (line: string) => io.stdout(safeText(line));
    if (!result.ok) {
      // A file's line when there is one; the chain and record too when the failure names them.
      const where = [
        ...(result.line !== undefined ? [`line ${result.line}`] : []),
        ...(result.chain !== null || result.line === undefined
          ? [`chain ${result.chain}, record ${result.seq}`]
          : []),
      ].join(", ");
      say(`FAILED ${target}: ${where}: ${result.problem}: ${result.message}`);
      return 1;
    }
    say(`OK ${target}: ${result.records} records, ${result.checkpoints} signed checkpoints`);
    for (const chain of result.chains) {
      const age = Math.max(0, Math.round((Date.now() - Date.parse(chain.unsealedSince ?? "")) / 1000));
      const tail =
        chain.unsealed === 0
          ? "every record sealed"
          : `unsealed tail: ${chain.unsealed} records, the oldest ${age} s old (${chain.unsealedSince})`;
      const start =
        chain.archivedThrough === undefined
          ? ""
          : ` after signed checkpoint ${chain.archivedThrough} (earlier records archived)`;
      say(
        `  chain ${chain.chain}: ${chain.records} records${start}, last checkpoint at ${chain.lastCheckpointSeq || "none"}; ${tail}`,
      );
    }
    if (values.against) io.stdout(`every checkpoint in ${values.against.join(", ")} is here`);
    if (result.keySource === "beside-ledger") {
      io.stdout(
        "note: checked with the public key stored beside the ledger; this shows the ledger is consistent with itself. For the strong check pass --key with a copy of the public key kept elsewhere.",
      );
    }
    return 0;
  });
