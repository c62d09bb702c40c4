// GET /v1/alerts: alert records as the SOC reads them (severity, detector, the calls and session), filtered and paged.
import { Hono } from "hono";
import { WardenError } from "../errors.js";
import type { JsonValue } from "../json.js";
import type { LedgerRecord, RecordPosition } from "../ledger/index.js";
import { type AuthEnv, requireRole } from "./auth.js";
import { listOf, readListQuery } from "./list-query.js";
import { encodeCursor } from "./page-cursor.js";
import type { RouteDeps } from "./routes.js";

/** Alert records read per store query while filtering by severity or detector. */
const BATCH = 500;
/** Records one request reads at most: a rare filter returns a short page and a cursor to go on. */
export const ALERT_SCAN_LIMIT = 5_000;

/** Severities in order; alerts written without one (ledger write failures, dead letters) are "unrated". */
export const SEVERITIES = ["critical", "high", "medium", "low", "unrated"] as const;

export interface AlertView {
  chain: string;
  seq: number;
  ts: string;
  severity: string;
  /** The detector that raised it, or the alert's type for alerts no detector raised. */
  detector: string;
  type: string;
  action: string | null;
  message: string;
  agent: string | null;
  session: string | null;
  /** The calls that caused it (a data-flow finding names several). */
  callIds: string[];
  tool: string | null;
  score: number | null;
}

/** One alert record, whichever part of Warden wrote it, in the shape the Alerts page shows. */
export function alertView(r: LedgerRecord): AlertView {
  const d = r.data;
  const text = (v: JsonValue | undefined) => (typeof v === "string" ? v : null);
  const callIds = Array.isArray(d.callIds)
    ? d.callIds.filter((c): c is string => typeof c === "string")
    : r.callId
      ? [r.callId]
      : [];
  const type = text(d.type) ?? "alert";
  return {
    chain: r.chain,
    seq: r.seq,
    ts: r.ts,
    severity: text(d.severity) ?? "unrated",
    detector: text(d.detector) ?? type,
    type,
    action: text(d.action),
    message: text(d.message) ?? text(d.reason) ?? text(d.error) ?? type,
    agent: r.agent,
    session: r.session ?? text(d.session),
    callIds,
    tool: text(d.tool),
    score: typeof d.score === "number" ? d.score : null,
  };
}

/** The sub-app served at /v1/alerts. */
export function alertsRoutes({ warden, authenticated }: RouteDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const store = warden.ledger.store;

  app.get("/", authenticated, requireRole("auditor", "admin"), async (c) => {
    const q = readListQuery(c.req.query());
    const severities = listOf(q.severity);
    // A misspelt severity would match nothing and read as "no alerts": refused instead.
    const unknown = [...(severities ?? [])].find((s) => !(SEVERITIES as readonly string[]).includes(s));
    if (unknown !== undefined) {
      throw new WardenError(
        "INVALID_REQUEST",
        `severity is a comma-separated list of ${SEVERITIES.join(", ")}, not "${unknown.slice(0, 64)}"`,
      );
    }
    const detectors = listOf(q.detector);
    const alerts: AlertView[] = [];
    let after: RecordPosition | undefined = q.after;
    let scanned = 0;
    let more = true;
    // Severity and detector live in the record's data, which the stores do not index: read alert
    // records in order and keep the matching ones, up to a page or the scan limit.
    for (;;) {
      const batch = await store.query({
        kinds: ["alert"],
        agent: q.agent,
        user: q.user,
        tool: q.tool,
        session: q.session,
        callId: q.call,
        since: q.since,
        until: q.until,
        after,
        newestFirst: true,
        limit: BATCH,
      });
      let read = 0;
      for (const r of batch) {
        if (alerts.length === q.limit) break;
        read++;
        after = r;
        const view = alertView(r);
        if ((severities?.has(view.severity) ?? true) && (detectors?.has(view.detector) ?? true))
          alerts.push(view);
      }
      scanned += read;
      if (read === batch.length && batch.length < BATCH) {
        more = false;
        break;
      }
      if (alerts.length === q.limit || scanned >= ALERT_SCAN_LIMIT) break;
    }
    return c.json({ alerts, next: more && after ? encodeCursor(after) : null, scanned });
  });

  return app;
}
