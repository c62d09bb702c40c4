// GET /v1/records: the ledger browser's pages (filters, keyset paging) with the verifier's verdict on each page's range.
import type { KeyObject } from "node:crypto";
import { Hono } from "hono";
import {
  type LedgerRecord,
  publicKeyFilesBeside,
  type RangeVerification,
  verifyStoreRange,
} from "../ledger/index.js";
import { type AuthEnv, requireRole } from "./auth.js";
import { kindsOf, readListQuery } from "./list-query.js";
import { encodeCursor } from "./page-cursor.js";
import type { RouteDeps } from "./routes.js";

export interface RecordsPage {
  records: LedgerRecord[];
  /** Continues after the last record; null when this page is the last. */
  next: string | null;
  /** The verifier's verdict on the checkpoint-to-checkpoint stretches holding this page (null: not asked). */
  verification: RangeVerification | null;
}

/** The sub-app served at /v1/records. */
export function recordsRoutes({ warden, authenticated }: RouteDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const store = warden.ledger.store;

  app.get("/", authenticated, requireRole("auditor", "admin"), async (c) => {
    const q = readListQuery(c.req.query());
    // One more than the page: tells whether a next page exists without a second query.
    const found = await store.query({
      agent: q.agent,
      user: q.user,
      tool: q.tool,
      session: q.session,
      callId: q.call,
      kinds: kindsOf(q.kind),
      since: q.since,
      until: q.until,
      after: q.after,
      newestFirst: true,
      limit: q.limit + 1,
    });
    const records = found.slice(0, q.limit);
    const last = records.at(-1);
    const page: RecordsPage = {
      records,
      next: found.length > q.limit && last ? encodeCursor(last) : null,
      verification:
        q.verify === "1" ? await verifyStoreRange(store, records, { publicKey: trustedKeys(warden) }) : null,
    };
    return c.json(page);
  });

  return app;
}

/**
 * The keys a page is verified with: this ledger's signing key, and for a SQLite ledger the public keys
 * beside it (rotations leave the retired ones there, so older checkpoints still verify).
 */
function trustedKeys(warden: RouteDeps["warden"]): (KeyObject | string)[] {
  const file = warden.ledger.store.file;
  return [warden.ledger.publicKey, ...(file ? publicKeyFilesBeside(file) : [])];
}
