// `warden canary create|list`: mint bait values recorded in the ledger; any tool argument holding one is refused.
import { CANARY_KINDS, type CanaryKind, canaryOf } from "../detect/index.js";
import { isPostgresUrl } from "../ledger/index.js";
import { Warden } from "../warden.js";
import { parse, printHelp, runCommand, UsageError } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { withStore } from "./open-store.js";
import { PATH_OPTIONS, wardenPaths } from "./paths.js";

const HELP = `usage: warden canary create --kind aws-key|email|url|record [--label L] [--domain D] [--json]
       warden canary list [--json]
       (both take [--dir DIR] [--policy FILE] [--db FILE])

A canary is a unique fake value (an AWS key, an email address, a URL, a customer record id) recorded
in the ledger as a canary.create record. Plant it where only a leaking agent would pick it up: any
tool call whose arguments hold it is denied (policy detect.canary.action, default deny) and raises a
critical alert. A running Warden (warden start) arms a canary minted here within 5 seconds.`;

export const canaryCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, HELP, async () => {
    const { values, positionals } = parse(argv, {
      ...PATH_OPTIONS,
      kind: { type: "string" },
      label: { type: "string" },
      domain: { type: "string" },
      json: { type: "boolean" },
    });
    if (values.help) return printHelp(io, HELP);
    const paths = wardenPaths(io, values);
    if (positionals[0] === "list" && positionals.length === 1) {
      const records = await withStore(paths.db, (store) => store.query({ kinds: ["canary.create"] }));
      for (const c of records.map(canaryOf)) {
        if (c === null) continue;
        io.stdout(
          values.json
            ? JSON.stringify(c)
            : `${c.createdAt}  ${c.id}  ${c.kind.padEnd(7)}  ${c.value}  ${c.label ?? ""}`,
        );
      }
      return 0;
    }
    if (positionals[0] !== "create" || positionals.length !== 1) throw new UsageError("give create or list");
    const kind = values.kind;
    if (kind === undefined || !(CANARY_KINDS as readonly string[]).includes(kind)) {
      throw new UsageError(`--kind must be one of ${CANARY_KINDS.join(", ")}`);
    }
    const warden = await Warden.open({
      policy: paths.policy,
      db: paths.db,
      ...(isPostgresUrl(paths.db) ? { signingKey: paths.key } : {}),
    });
    try {
      const c = await warden.createCanary(kind as CanaryKind, values.label ?? null, values.domain);
      io.stdout(
        values.json
          ? JSON.stringify(c)
          : `${c.value}\n(canary ${c.id}, ${c.kind}${c.label ? `, "${c.label}"` : ""})`,
      );
    } finally {
      await warden.close();
    }
    return 0;
  });
