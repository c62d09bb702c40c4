// POST /v1/decisions: the gate's decision on a call an agent is about to make.
import { Hono } from "hono";
import { z } from "zod";
import { type AuthEnv, requireOwnSession, requireRole } from "./auth.js";
import { readJson, wellFormedText } from "./body.js";
import type { Metrics } from "./metrics.js";
import type { RouteDeps } from "./routes.js";

const DecisionBody = z.strictObject({
  session: wellFormedText(128),
  tool: wellFormedText(256),
  args: z.unknown().optional(),
  rationale: wellFormedText(16 * 1024, 0).nullish(),
  callId: wellFormedText(128).nullish(),
});

export function decisionsRoutes({ warden, authenticated }: RouteDeps, metrics: Metrics): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();

  app.post("/", authenticated, requireRole("agent", "admin"), async (c) => {
    const started = performance.now();
    const body = await readJson(c, DecisionBody, { argsField: "args" });
    await requireOwnSession(c.var.principal, body.session, (s) => warden.sessions.get(s));
    const d = await warden.gate.decide(
      { ...body, traceparent: c.req.header("traceparent") ?? null },
      "remote",
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

  return app;
}
