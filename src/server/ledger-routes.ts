// GET /v1/ledger: records, filtered and bounded.
import { Hono } from "hono";
import { WardenError } from "../errors.js";
import { isRecordKind, type LedgerRecord, type RecordKind } from "../ledger/index.js";
import { sinceToIso } from "../time.js";
import { type AuthEnv, requireRole } from "./auth.js";
import { boundedLimit } from "./query.js";
import type { RouteDeps } from "./routes.js";

/** The parameters /v1/ledger takes: another one is refused, so a typo does not silently widen a filter. */
const LEDGER_QUERY = new Set([
  "session",
  "agent",
  "tool",
  "decision",
  "kind",
  "call",
  "since",
  "limit",
  "order",
]);

export function ledgerRoutes({ warden, authenticated }: RouteDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();

  app.get("/", authenticated, requireRole("auditor", "admin"), async (c) => {
    const q = c.req.query();
    const unknown = Object.keys(q).filter((k) => !LEDGER_QUERY.has(k));
    if (unknown.length > 0) {
      throw new WardenError("INVALID_REQUEST", `unknown query parameter: ${unknown.join(", ")}`);
    }
    if (q.order !== undefined && q.order !== "asc" && q.order !== "desc") {
      throw new WardenError("INVALID_REQUEST", "order must be asc or desc");
    }
    const kinds = q.kind?.split(",").filter(Boolean);
    if (kinds?.some((k) => !isRecordKind(k))) throw new WardenError("INVALID_REQUEST", "unknown record kind");
    const records: LedgerRecord[] = await warden.ledger.store.query({
      session: q.session,
      agent: q.agent,
      tool: q.tool,
      callId: q.call,
      decision: q.decision,
      kinds: kinds as RecordKind[] | undefined,
      since: q.since ? sinceToIso(q.since) : undefined,
      newestFirst: q.order !== "asc",
      limit: boundedLimit(q.limit),
    });
    return c.json({ records });
  });

  return app;
}
