// `warden log` and `warden sessions`: read the ledger, filtered, as text or JSON lines.
import type { LedgerRecord } from "../ledger/index.js";
import { parse, printHelp, runCommand, sinceOption, UsageError } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { withStore } from "./open-store.js";
import { PATH_OPTIONS, wardenPaths } from "./paths.js";

const LOG_HELP = `usage: warden log [--session ID] [--agent NAME] [--tool NAME] [--decision allow|deny|ask]
                  [--since 7d|ISO-TIME] [--limit N] [--json] [--db FILE]

Lists ledger records, newest first (default limit 50). --decision shows only call decisions with
that effect. --json prints one record per line as stored.`;

const SESSIONS_HELP = `usage: warden sessions [--agent NAME] [--active] [--limit N] [--json] [--db FILE]

Lists sessions, newest first: id, agent, on behalf of whom, intent, and when they started and ended.`;

export const logCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, LOG_HELP, async () => {
    const { values } = parse(
      argv,
      {
        ...PATH_OPTIONS,
        session: { type: "string" },
        agent: { type: "string" },
        tool: { type: "string" },
        decision: { type: "string" },
        since: { type: "string" },
        limit: { type: "string" },
        json: { type: "boolean" },
      },
      false,
    );
    if (values.help) return printHelp(io, LOG_HELP);
    if (values.decision && !["allow", "deny", "ask"].includes(values.decision)) {
      throw new UsageError("--decision must be allow, deny or ask");
    }
    const limit = positive(values.limit ?? "50");
    const records = await withStore(wardenPaths(io, values).db, (store) =>
      store.query({
        session: values.session,
        agent: values.agent,
        tool: values.tool,
        decision: values.decision,
        since: sinceOption(values.since),
        newestFirst: true,
        limit,
      }),
    );
    for (const r of records) io.stdout(values.json ? JSON.stringify(r) : formatRecord(r));
    return 0;
  });

export const sessionsCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, SESSIONS_HELP, async () => {
    const { values } = parse(
      argv,
      {
        ...PATH_OPTIONS,
        agent: { type: "string" },
        active: { type: "boolean" },
        limit: { type: "string" },
        json: { type: "boolean" },
      },
      false,
    );
    if (values.help) return printHelp(io, SESSIONS_HELP);
    const rows = await withStore(wardenPaths(io, values).db, (store) =>
      store.sessions({
        agent: values.agent,
        active: values.active ? true : undefined,
        limit: positive(values.limit ?? "50"),
      }),
    );
    for (const s of rows) {
      io.stdout(
        values.json
          ? JSON.stringify(s)
          : `${s.id}  ${s.agent}  for ${s.onBehalfOf}  "${s.intent}"  ${s.startedAt} → ${s.endedAt ?? "open"}${s.parent ? `  parent ${s.parent}` : ""}`,
      );
    }
    return 0;
  });

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError("--limit must be a positive whole number");
  return n;
}

/** One line a record: when, where in the chain, what, and for calls the tool and decision. */
export function formatRecord(r: LedgerRecord): string {
  const d = r.data as Record<string, unknown>;
  const decision = d.decision as { effect?: string; enforced?: string; ruleId?: string } | undefined;
  const parts = [r.ts, `#${r.seq}`, r.kind.padEnd(13), r.agent ?? "-"];
  if (r.kind === "call.intent" && decision) {
    const acted =
      decision.enforced && decision.enforced !== decision.effect ? ` (acted ${decision.enforced})` : "";
    parts.push(String(d.tool), `${decision.effect}${acted} [${decision.ruleId}]`, r.callId ?? "");
  } else if (r.kind === "call.outcome") {
    parts.push(String(d.tool), String(d.status), r.callId ?? "");
  } else if (r.kind === "policy.load") {
    parts.push(String(d.status), String(d.digest ?? ""));
  } else if (r.session) {
    parts.push(r.session);
  }
  return parts.join("  ");
}
