// `warden who CALL_ID`: the accountability chain of one call.
import type { KeyObject } from "node:crypto";
import { ArgsSeal, HeldArgs, type HeldArgsRead } from "../approvals/index.js";
import { accountabilityOf, formatAccountability } from "../identity/index.js";
import type { LedgerStore } from "../ledger/index.js";
import { safeText } from "../safe-text.js";
import { parse, printHelp, runCommand, UsageError } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { withStore } from "./open-store.js";
import { commandSigningKey, KEY_FILE_OPTION, PATH_OPTIONS, wardenPaths } from "./paths.js";

const HELP = `usage: warden who CALL_ID [--json] [--db FILE] [--key-file FILE]

Prints who is accountable for a call: prompting user → agent (owner team, developer) → session
intent → tool, arguments and rationale → rule and policy digest → approver if any → outcome.
While the call's approval is pending, also its held arguments: the values the policy redacts, in
clear (they are sealed with a key derived from the ledger's signing key, read from --key-file or
beside the ledger; holding both is an administrator's power).`;

export const whoCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, HELP, async () => {
    const { values, positionals } = parse(argv, {
      ...PATH_OPTIONS,
      ...KEY_FILE_OPTION,
      json: { type: "boolean" },
    });
    if (values.help) return printHelp(io, HELP);
    if (positionals.length !== 1) throw new UsageError("give exactly one CALL_ID");
    const paths = wardenPaths(io, values);
    const key = () => commandSigningKey(io, values, paths).catch(() => null);
    const { chain, held } = await withStore(paths.db, async (store) => {
      const chain = await accountabilityOf(store, positionals[0]!);
      return { chain, held: await heldArgsOfCall(store, chain.callId, key) };
    });
    const heldArgs = held?.state === "held" ? { args: held.args, until: held.until } : null;
    if (values.json) {
      io.stdout(JSON.stringify({ ...chain, heldArgs }));
      return 0;
    }
    const lines = formatAccountability(chain).split("\n");
    if (held && held.state !== "none") {
      const at = lines.findIndex((l) => l.startsWith("  arguments"));
      const text =
        held.state === "held"
          ? `  held args     ${safeText(JSON.stringify(held.args))} (in clear while pending, until ${held.until})`
          : `  held args     ${safeText(held.message)}`;
      lines.splice(at + 1, 0, text);
    }
    io.stdout(lines.join("\n"));
    return 0;
  });

/** The call's pending approval's held arguments; null without an approval, a table or a readable key. */
async function heldArgsOfCall(
  store: LedgerStore,
  callId: string,
  signingKey: () => Promise<KeyObject | null>,
): Promise<HeldArgsRead | null> {
  const table = store.heldArgs ?? null;
  if (!table) return null;
  const [request] = await store.query({ callId, kinds: ["approval.request"], limit: 1 });
  const approvalId = request?.data.approvalId;
  if (typeof approvalId !== "string") return null;
  const key = await signingKey();
  if (!key) return null;
  // A read-only PostgreSQL store may predate the table: then nothing is held.
  return new HeldArgs(table, ArgsSeal.fromSigningKey(key)).read(approvalId).catch(() => null);
}
