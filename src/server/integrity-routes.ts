// GET /v1/integrity and POST /v1/integrity/verify: checkpoints per chain and the verifier's last verdict.
import { Hono } from "hono";
import { WardenError } from "../errors.js";
import { type LedgerStore, type VerifyResult, verifyDatabase } from "../ledger/index.js";
import { type AuthEnv, requireRole } from "./auth.js";
import type { RouteDeps } from "./routes.js";

export interface VerificationReport {
  at: string;
  durationMs: number;
  ok: boolean;
  records: number;
  checkpoints: number;
  keySource: VerifyResult["keySource"];
  /** The first bad record (or the file-level problem) when not ok. */
  failure: { chain: string | null; seq: number | null; problem: string; message: string } | null;
}

/** The last verification, kept in memory; concurrent requests share one run. */
export class IntegrityState {
  last: VerificationReport | null = null;
  #running: Promise<VerificationReport> | null = null;
  readonly #store: LedgerStore;

  constructor(store: LedgerStore) {
    this.#store = store;
  }

  verify(): Promise<VerificationReport> {
    this.#running ??= this.#run().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #run(): Promise<VerificationReport> {
    const store = this.#store;
    // The separate verifier reads the file itself, read-only, with the key beside it: it shares nothing
    // with this process's writer. Other backends are checked with `warden verify`, which has their URL.
    const file = store.file;
    if (file === null || file === undefined) {
      throw new WardenError(
        "INVALID_REQUEST",
        "the dashboard verifies SQLite ledgers; run `warden verify` for this one",
      );
    }
    const started = performance.now();
    const at = new Date().toISOString();
    const result = await verifyDatabase(file);
    const report: VerificationReport = {
      at,
      durationMs: Math.round(performance.now() - started),
      ok: result.ok,
      records: result.ok ? result.records : 0,
      checkpoints: result.ok ? result.checkpoints : 0,
      keySource: result.keySource,
      failure: result.ok
        ? null
        : { chain: result.chain, seq: result.seq, problem: result.problem, message: result.message },
    };
    this.last = report;
    return report;
  }
}

export function integrityRoutes({ warden, authenticated }: RouteDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const store = warden.ledger.store;
  const state = new IntegrityState(store);

  app.get("/", authenticated, requireRole("auditor", "approver", "admin"), async (c) => {
    const chains = [];
    for (const chain of await store.chains()) {
      const head = await store.head(chain);
      const checkpoint = (await store.checkpoints(chain)).at(-1) ?? null;
      chains.push({
        chain,
        head: head ? { seq: head.seq, hash: head.hash, ts: head.ts ?? null } : null,
        checkpoint: checkpoint
          ? { seq: checkpoint.seq, hash: checkpoint.hash, ts: checkpoint.ts, keyId: checkpoint.keyId }
          : null,
      });
    }
    return c.json({ chains, lastVerification: state.last });
  });

  app.post("/verify", authenticated, requireRole("auditor", "admin"), async (c) =>
    c.json({ verification: await state.verify() }),
  );

  return app;
}
