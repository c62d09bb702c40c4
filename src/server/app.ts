// The HTTP decision service: the same gate as the library, for agents in any language.
import { type Context, Hono } from "hono";
import { z } from "zod";
import { WardenError } from "../errors.js";
import { accountabilityOf } from "../identity/index.js";
import { isRecordKind, type LedgerRecord, type RecordKind, type TokenRow } from "../ledger/index.js";
import { sinceToIso } from "../time.js";
import type { Warden } from "../warden.js";
import { mountApprovalRoutes, mountIntegrationDecisions } from "./approvals-routes.js";
import { authenticateRequests, requireOwnCall, requireRole, UiSessions } from "./auth.js";
import { readJson } from "./body.js";
import { mountDashboard } from "./dashboard.js";
import { errorBody, sendError } from "./http-errors.js";
import type { Metrics } from "./metrics.js";
import { mountSlack } from "./slack-routes.js";
import { type TokenLimitOptions, TokenLimits } from "./token-limits.js";
import { TokenCache } from "./tokens.js";

type Env = { Variables: { token: TokenRow } };

// Well-formed: a lone surrogate is the same mistake in every field, so it gets the same code everywhere.
const wellFormed = (s: z.ZodString) =>
  s.refine((v) => v.isWellFormed(), "not valid Unicode (a lone surrogate)");
const text = (max: number) => wellFormed(z.string().min(1).max(max));
const SessionBody = z.strictObject({
  agent: text(256),
  onBehalfOf: text(1024),
  intent: text(1024),
  parent: text(128).nullish(),
});
const DecisionBody = z.strictObject({
  session: text(128),
  tool: text(256),
  args: z.unknown().optional(),
  rationale: wellFormed(z.string().max(16 * 1024)).nullish(),
  callId: text(128).nullish(),
});
const OutcomeBody = z.strictObject({
  status: z.enum(["ok", "error"]),
  result: z.unknown().optional(),
  error: z.strictObject({ code: z.string().max(64).optional() }).nullish(),
  durationMs: z.number().nonnegative().finite().optional(),
});
const EndBody = z.strictObject({ reason: z.string().max(256).optional() });

export interface AppOptions {
  /** Per-token request and byte budgets (DEFAULT_TOKEN_LIMITS when unset). */
  tokenLimits?: Partial<TokenLimitOptions>;
  /** The clock dashboard sessions expire by (tests move it). */
  now?: () => number;
}

export function createApp(warden: Warden, metrics: Metrics, options: AppOptions = {}): Hono<Env> {
  const app = new Hono<Env>();
  const store = warden.ledger.store;
  const tokens = new TokenCache(store);
  const limits = new TokenLimits(options.tokenLimits);

  app.onError((err, c) => sendError(c, err));
  app.notFound((c) => c.json(errorBody("NOT_FOUND", "no such route"), 404));

  // Unauthenticated, so it says only whether this instance works: no chain head, no counts.
  app.get("/healthz", async (c) => {
    const health = await metrics.health.check();
    return c.json(health, health.ok ? 200 : 503);
  });
  app.get("/metrics", async (c) =>
    c.body(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType }),
  );

  const ui = new UiSessions(tokens, options.now);
  mountIntegrationDecisions(app, warden);
  mountSlack(app, warden);
  app.use("/v1/*", authenticateRequests(tokens, ui, limits));
  mountApprovalRoutes(app, warden);
  mountDashboard(app, warden, ui);

  app.post("/v1/sessions", async (c) => {
    const token = requireRole(c, ["agent", "admin"]);
    const body = await readJson(c, SessionBody);
    if (token.role === "agent" && body.agent !== token.agent) {
      throw new WardenError("FORBIDDEN", "an agent token opens sessions only for its own agent");
    }
    if (body.parent) await ownSession(c, body.parent);
    const session = await warden.session(body);
    return c.json(
      {
        id: session.id,
        agent: session.agent,
        onBehalfOf: session.onBehalfOf,
        intent: session.intent,
        parent: session.parent,
        principal: session.principal,
      },
      201,
    );
  });

  app.post("/v1/decisions", async (c) => {
    const started = performance.now();
    requireRole(c, ["agent", "admin"]);
    const body = await readJson(c, DecisionBody, { argsField: "args" });
    await ownSession(c, body.session);
    const d = await warden.gate.decide(
      { ...body, traceparent: c.req.header("traceparent") ?? null },
      { remoteCaller: true },
    );
    metrics.decisionSeconds.observe((performance.now() - started) / 1000);
    if (d.retryAfterMs !== null) c.header("retry-after", String(Math.ceil(d.retryAfterMs / 1000)));
    const pending = d.approval?.status === "pending";
    return c.json({
      callId: d.callId,
      // "pending": a person decides; GET /v1/calls/{callId}?wait=30s tells the agent when they have.
      decision: pending ? "pending" : d.enforced,
      effect: d.effect,
      reason: d.reason,
      ruleId: d.ruleId,
      mode: d.mode,
      code: d.code,
      retryAfterMs: d.retryAfterMs,
      policy: d.policyDigest,
      approval: d.approval,
    });
  });

  app.post("/v1/calls/:id/outcome", async (c) => {
    const token = requireRole(c, ["agent", "admin"]);
    const body = await readJson(c, OutcomeBody);
    const callId = c.req.param("id");
    await requireOwnCall(store, token, callId);
    const outcome =
      body.status === "ok"
        ? { status: "ok" as const, result: body.result, durationMs: body.durationMs }
        : {
            status: "error" as const,
            error: { code: body.error?.code ?? "error" },
            durationMs: body.durationMs,
          };
    await warden.gate.recordOutcome(callId, outcome);
    return c.body(null, 204);
  });

  app.post("/v1/sessions/:id/end", async (c) => {
    requireRole(c, ["agent", "admin"]);
    const body = c.req.header("content-length") === "0" ? {} : await readJson(c, EndBody).catch(emptyBody(c));
    await ownSession(c, c.req.param("id"));
    const ended = await warden.sessions.end(c.req.param("id"), body.reason ?? "ended");
    return c.json({ id: ended.id, endedAt: ended.endedAt, reason: ended.endReason });
  });

  app.get("/v1/sessions", async (c) => {
    requireRole(c, ["auditor", "admin"]);
    const active = c.req.query("active");
    const rows = await store.sessions({
      agent: c.req.query("agent"),
      active: active === undefined ? undefined : active === "true",
      limit: boundedLimit(c.req.query("limit")),
    });
    return c.json({ sessions: rows });
  });

  app.get("/v1/sessions/:id", async (c) => {
    requireRole(c, ["auditor", "admin"]);
    return c.json(await warden.sessions.get(c.req.param("id")));
  });

  app.get("/v1/ledger", async (c) => {
    requireRole(c, ["auditor", "admin"]);
    const q = c.req.query();
    const kinds = q.kind?.split(",").filter(Boolean);
    if (kinds?.some((k) => !isRecordKind(k))) throw new WardenError("INVALID_REQUEST", "unknown record kind");
    const records: LedgerRecord[] = await store.query({
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

  app.get("/v1/calls/:id/chain", async (c) => {
    requireRole(c, ["auditor", "admin"]);
    return c.json(await accountabilityOf(store, c.req.param("id")));
  });

  /** An agent token may act only on sessions of its own agent. */
  async function ownSession(c: Context<Env>, sessionId: string) {
    const token = c.get("token");
    if (token.role !== "agent") return;
    const session = await warden.sessions.get(sessionId);
    if (session.agent !== token.agent)
      throw new WardenError("FORBIDDEN", "this session belongs to another agent");
  }

  return app;
}

function emptyBody(c: Context) {
  return (err: unknown) => {
    // An end request may come without a body at all.
    if (!c.req.header("content-type")) return {};
    throw err;
  };
}

function boundedLimit(value: string | undefined): number {
  const n = value === undefined ? 100 : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new WardenError("INVALID_REQUEST", "limit must be 1–10000");
  return n;
}
