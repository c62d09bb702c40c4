// `warden log` and `warden sessions`: read the ledger, filtered, as text or JSON lines.
import { type AnyTypedRecord, type LedgerRecord, parseAnyRecord } from "../ledger/index.js";
import { safeText } from "../safe-text.js";
import { parse, printHelp, runCommand, sinceOption, UsageError } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { withStore } from "./open-store.js";
import { PATH_OPTIONS, wardenPaths } from "./paths.js";
import { table } from "./table.js";

const LOG_HELP = `usage: warden log [--session ID] [--agent NAME] [--tool NAME] [--decision allow|deny|ask]
                  [--since 7d|ISO-TIME] [--limit N] [--json] [--db FILE]

Lists ledger records, newest first (default limit 50), in aligned columns: time, seq, kind, agent,
tool, what happened (a call's decision and rule, and its approval; who approved or denied, with
the scope remembered and the reason; an outcome's status), call id. --decision shows only call
decisions with that effect. --json prints one record per line as stored.`;

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
    if (values.json) {
      for (const r of records) io.stdout(JSON.stringify(r));
      return 0;
    }
    if (records.length === 0) {
      io.stdout("no records match");
      return 0;
    }
    for (const line of table([[...LOG_COLUMNS], ...records.map(recordColumns)])) io.stdout(line);
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

/** The columns of `warden log`: time, seq, kind, agent, tool, what happened, call id. */
export const LOG_COLUMNS = ["TIME", "SEQ", "KIND", "AGENT", "TOOL", "WHAT", "CALL"] as const;

/**
 * One record as the columns of a `warden log` row; agent-supplied text is escaped (see safeText). A record
 * whose data does not match its kind's schema says so in WHAT, with the field at fault.
 */
export function recordColumns(r: LedgerRecord): string[] {
  const read = parseAnyRecord(r);
  const text = (v: unknown) => (v === undefined || v === null || v === "" ? "-" : safeText(String(v)));
  const data = read.ok ? read.record.data : null;
  const tool = data !== null && "tool" in data ? data.tool : undefined;
  const what = read.ok ? describeRecord(read.record) : safeText(`MALFORMED: ${read.error.message}`);
  return [r.ts, `#${r.seq}`, r.kind, text(r.agent), text(tool), what, text(r.callId)];
}

function describeRecord(r: AnyTypedRecord): string {
  const t = (v: unknown) => safeText(String(v ?? ""));
  switch (r.kind) {
    case "call.intent": {
      const { decision, approval } = r.data;
      const acted =
        decision.enforced && decision.enforced !== decision.effect ? ` (acted ${decision.enforced})` : "";
      const asked = approval?.id ? `  approval ${t(approval.id)} ${t(approval.status)}` : "";
      return `${decision.effect}${acted} [${t(decision.ruleId)}]${asked}`;
    }
    case "call.outcome": {
      const d = r.data;
      return `${t(d.status)}${d.error?.code ? ` ${t(d.error.code)}` : ""} ${d.durationMs} ms`;
    }
    case "approval.request": {
      const d = r.data;
      const by = d.by.map(t).join(", ");
      return `${t(d.approvalId)} asks ${t(d.required)} of ${by || "-"} [${t(d.ruleId)}] until ${t(d.expiresAt)}`;
    }
    case "approval.decision": {
      const d = r.data;
      const scope = d.remember;
      const remember =
        scope === null
          ? ""
          : `  remember ${scope.scope === "time" ? `until ${t(scope.until)}` : t(scope.scope)}`;
      const reason = d.reason ? `: ${t(d.reason)}` : "";
      const who = d.approver ? ` by ${t(d.approver)} (${t(d.role)} via ${t(d.via)})` : "";
      return `${t(d.approvalId)} ${t(d.decision)}${who}${remember}${reason}`;
    }
    case "approval.notify": {
      const d = r.data;
      return `${t(d.approvalId)} ${t(d.webhook)} attempt ${t(d.attempt)} ${t(d.status)}`;
    }
    case "policy.load":
      return `${t(r.data.status)} ${t(r.data.digest ?? "")}`.trim();
    case "alert": {
      const d = r.data;
      return `${t(d.severity ?? "-")} ${t(d.detector ?? d.type ?? "alert")}: ${t(d.message ?? "")}`;
    }
    default:
      return "-";
  }
}
