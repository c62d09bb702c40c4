// `warden canary create|add|list`: bait values recorded in the ledger; any tool argument holding one is refused.
import {
  type Canary,
  CUSTOM_CANARY_LENGTH,
  canaryOf,
  MINTABLE_KINDS,
  type MintableKind,
} from "../detect/index.js";
import { isPostgresUrl } from "../ledger/index.js";
import { Warden } from "../warden.js";
import { parse, printHelp, runCommand, UsageError, unknownChoice } from "./args.js";
import { requireLedger, requirePolicy } from "./existing.js";
import type { CliIO, Command } from "./io.js";
import { withStore } from "./open-store.js";
import { PATH_OPTIONS, type WardenPaths, wardenPaths } from "./paths.js";

const HELP = `usage: warden canary create --kind aws-key|email|url|record [--label L] [--domain D] [--json]
       warden canary add --value VALUE [--label L] [--json]
       warden canary list [--json]
       (all take [--dir DIR] [--policy FILE] [--db FILE])

A canary is a bait value recorded in the ledger as a canary.create record. create mints a unique fake
value (an AWS key, an email address, a URL, a customer record id); add registers a honeytoken you
already planted (${CUSTOM_CANARY_LENGTH.min} to ${CUSTOM_CANARY_LENGTH.max} characters, kind custom). Plant it where only a leaking agent would pick it
up: any tool call whose arguments hold it, in any letter case, inside a longer text, or encoded as
base64, base64url, hex, URL-encoding or JSON escapes, is denied (policy detect.canary.action, default
deny) and raises a critical alert. A running Warden (warden start) arms a canary recorded here within
5 seconds.`;

export const canaryCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, HELP, async () => {
    const { values, positionals } = parse(argv, {
      ...PATH_OPTIONS,
      kind: { type: "string" },
      label: { type: "string" },
      domain: { type: "string" },
      value: { type: "string" },
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
    const verb = positionals[0];
    if (verb === undefined) throw new UsageError("give create, add or list");
    if (verb !== "create" && verb !== "add")
      throw unknownChoice("canary command", verb, ["create", "add", "list"]);
    if (positionals.length !== 1) throw new UsageError(`warden canary ${verb} takes no other arguments`);
    if (verb === "add") {
      const value = values.value;
      if (value === undefined || value === "") throw new UsageError("add needs --value");
      const { min, max } = CUSTOM_CANARY_LENGTH;
      if (value.length < min || value.length > max) {
        throw new UsageError(`--value must have ${min} to ${max} characters`);
      }
      const c = await withWarden(paths, (warden) => warden.addCanary(value, values.label ?? null));
      io.stdout(values.json ? JSON.stringify(c) : `registered canary ${c.id}${describe(c)}`);
      return 0;
    }
    const kind = values.kind;
    if (kind === undefined || !(MINTABLE_KINDS as readonly string[]).includes(kind)) {
      throw new UsageError(`--kind must be one of ${MINTABLE_KINDS.join(", ")}`);
    }
    const c = await withWarden(paths, (warden) =>
      warden.createCanary(kind as MintableKind, values.label ?? null, values.domain),
    );
    io.stdout(values.json ? JSON.stringify(c) : `${c.value}\n(canary ${c.id}${describe(c)})`);
    return 0;
  });

const describe = (c: Canary) => `, ${c.kind}${c.label ? `, "${c.label}"` : ""}`;

/** A Warden on the CLI's paths (it writes the record and, on PostgreSQL, signs its checkpoints). */
async function withWarden<T>(paths: WardenPaths, fn: (warden: Warden) => Promise<T>): Promise<T> {
  requirePolicy(paths);
  requireLedger(paths, { initFlag: false });
  const warden = await Warden.open({
    policy: paths.policy,
    db: paths.db,
    ...(isPostgresUrl(paths.db) ? { signingKey: paths.key } : {}),
  });
  try {
    return await fn(warden);
  } finally {
    await warden.close();
  }
}
