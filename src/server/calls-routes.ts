// /v1/calls/:id: what became of a call (waiting for its approval), its outcome, its chain of accountability.
import { Hono } from "hono";
import { z } from "zod";
import { parseDuration } from "../config/index.js";
import { WardenError } from "../errors.js";
import { accountabilityOf } from "../identity/index.js";
import { type AuthEnv, requireOwnCall, requireRole } from "./auth.js";
import { readJson, wellFormedText } from "./body.js";
import type { RouteDeps } from "./routes.js";

const MAX_DURATION_MS = 365 * 24 * 3_600_000;

const OutcomeBody = z
  .strictObject({
    status: z.enum(["ok", "error"]),
    result: z.unknown().optional(),
    error: z.strictObject({ code: wellFormedText(64).optional() }).nullish(),
    /** Up to a year: the record keeps it in µs, and a larger number would not survive as one. */
    durationMs: z.number().nonnegative().max(MAX_DURATION_MS).optional(),
    /** The tool returned a result the caller could not send (not JSON, too large): Warden cannot screen it. */
    resultUnsent: z.boolean().optional(),
  })
  .refine((b) => !(b.resultUnsent === true && b.result !== undefined), {
    message: "resultUnsent says no result was sent: send one or the other",
  });

/** Longest a GET /v1/calls/{id}?wait= holds the request. */
const MAX_WAIT_MS = 60_000;

export function callsRoutes({ warden, authenticated }: RouteDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const store = warden.ledger.store;

  app.post("/:id/outcome", authenticated, requireRole("agent", "admin"), async (c) => {
    const body = await readJson(c, OutcomeBody);
    const callId = c.req.param("id");
    await requireOwnCall(store, c.var.principal, callId);
    const outcome =
      body.status === "ok"
        ? { status: "ok" as const, result: body.result, durationMs: body.durationMs }
        : {
            status: "error" as const,
            error: { code: body.error?.code ?? "error" },
            durationMs: body.durationMs,
          };
    const reported = await warden.gate.reportOutcome(callId, outcome, {
      from: "remote",
      unsent: body.resultUnsent === true,
    });
    // The result comes back only when screening changed it: the caller hands that on instead of its own.
    if (reported.status === "withheld") {
      const { code, message } = reported.error;
      return c.json({ status: "withheld", error: { code, message } });
    }
    const changed =
      reported.status === "ok" &&
      body.result !== undefined &&
      JSON.stringify(reported.result) !== JSON.stringify(body.result);
    return c.json(changed ? { status: "ok", result: reported.result } : { status: reported.status });
  });

  /** Where an HTTP agent learns what became of its call; `?wait=30s` holds the answer while it is pending. */
  app.get("/:id", authenticated, requireRole("agent", "auditor", "admin"), async (c) => {
    const callId = c.req.param("id");
    const wait = c.req.query("wait");
    const waitMs = wait === undefined ? 0 : parseDuration(wait);
    if (waitMs === null || waitMs > MAX_WAIT_MS) {
      throw new WardenError("INVALID_REQUEST", "wait is a duration up to 60s, e.g. wait=30s");
    }
    await requireOwnCall(store, c.var.principal, callId);
    const state = await warden.gate.callState(callId, waitMs);
    const approval = state.approval;
    return c.json({
      callId,
      decision: state.decision === "ask" ? "pending" : state.decision,
      // Beside `decision`, for clients that branch on codes: "SESSION_ENDED" for a call its session's end
      // refused, "TOOL_DENIED" for an approved call the policy reloaded meanwhile refuses (`reason` says why).
      code: state.code,
      reason: state.reason,
      approval: approval && {
        id: approval.id,
        status: approval.status,
        expiresAt: approval.expiresAt,
        digest: approval.digest,
        closed: approval.closed,
        decisions: approval.decisions.map((d) => ({ decision: d.decision, reason: d.reason, at: d.at })),
      },
    });
  });

  app.get("/:id/chain", authenticated, requireRole("auditor", "admin"), async (c) =>
    c.json(await accountabilityOf(store, c.req.param("id"))),
  );

  return app;
}
