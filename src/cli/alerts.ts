// `warden alerts`: the alert records (detections, exporter dead letters), each with the calls that caused it.
import { type LedgerRecord, parseRecord } from "../ledger/index.js";
import { safeText } from "../safe-text.js";
import { parse, printHelp, runCommand, sinceOption, UsageError } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { withStore } from "./open-store.js";
import { PATH_OPTIONS, wardenPaths } from "./paths.js";

const HELP = `usage: warden alerts [--since 7d|ISO-TIME] [--session ID] [--limit N] [--json] [--db FILE]

Lists alerts, newest first (default limit 50): time, severity, detector, action, message, and the
calls that caused them (show one with \`warden who CALL_ID\`). --json prints each record as stored.`;

export const alertsCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, HELP, async () => {
    const { values } = parse(
      argv,
      {
        ...PATH_OPTIONS,
        since: { type: "string" },
        session: { type: "string" },
        limit: { type: "string" },
        json: { type: "boolean" },
      },
      false,
    );
    if (values.help) return printHelp(io, HELP);
    const limit = Number(values.limit ?? "50");
    if (!Number.isInteger(limit) || limit < 1)
      throw new UsageError("--limit must be a positive whole number");
    const records = await withStore(wardenPaths(io, values).db, (store) =>
      store.query({
        kinds: ["alert"],
        session: values.session,
        since: sinceOption(values.since),
        newestFirst: true,
        limit,
      }),
    );
    if (records.length === 0 && !values.json) {
      const filtered = values.since !== undefined || values.session !== undefined;
      io.stdout(filtered ? "no alerts match" : "no alerts: nothing has raised one");
      return 0;
    }
    for (const r of records) io.stdout(values.json ? JSON.stringify(r) : formatAlert(r));
    return 0;
  });

/** One alert on two lines: what and how bad, then the calls it links to. */
export function formatAlert(r: LedgerRecord): string {
  const read = parseRecord(r, "alert");
  if (!read.ok) return `${r.ts}  #${r.seq}  MALFORMED: ${safeText(read.error.message)}`;
  const d = read.record.data;
  const calls = d.callIds ?? (r.callId ? [r.callId] : []);
  const score = d.score !== undefined ? `  score ${d.score}` : "";
  const head = [
    r.ts,
    `#${r.seq}`,
    (d.severity ?? "-").padEnd(8),
    d.detector ?? d.type ?? "alert",
    d.action ?? "alert",
    String(d.message ?? d.reason ?? ""),
  ].join("  ");
  const session = r.session ? `  session ${r.session}` : "";
  return `${head}${score}\n    calls: ${calls.length > 0 ? calls.join(" ") : "-"}${session}`;
}
