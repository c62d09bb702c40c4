// Types of scripts/demo-ledger.mjs for the browser tests that seed the dashboard with it.
import type { Session, Warden, WardenOptions } from "../src/index.js";

/** The demo's policy. */
export const DEMO_POLICY: WardenOptions["policy"];

/** Fills the ledger; `pending` is the refund still waiting for a person. */
export function seedDemoLedger(warden: Warden): Promise<{
  pending: Promise<unknown>;
  session: Session;
  callIds: { approved: string; alert: string };
}>;
