// /v1/sessions: open, end, list and read sessions.
import { type Context, Hono } from "hono";
import { z } from "zod";
import { WardenError } from "../errors.js";
import { type AuthEnv, requireOwnSession, requireRole } from "./auth.js";
import { readJson, wellFormedText } from "./body.js";
import { boundedLimit } from "./query.js";
import type { RouteDeps } from "./routes.js";

const SessionBody = z.strictObject({
  agent: wellFormedText(256),
  /** Optional when the bearer token itself names the user (a verified delegation). */
  onBehalfOf: wellFormedText(1024).optional(),
  intent: wellFormedText(1024),
  parent: wellFormedText(128).nullish(),
});
const EndBody = z.strictObject({ reason: wellFormedText(256).optional() });

export function sessionsRoutes({ warden, authenticated }: RouteDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const ownSession = (c: Context<AuthEnv>, id: string) =>
    requireOwnSession(c.var.principal, id, (s) => warden.sessions.get(s));

  app.post("/", authenticated, requireRole("agent", "admin"), async (c) => {
    const principal = c.var.principal;
    const body = await readJson(c, SessionBody);
    if (principal.role === "agent" && body.agent !== principal.agent) {
      throw new WardenError("FORBIDDEN", "an agent token opens sessions only for its own agent");
    }
    if (body.parent) await ownSession(c, body.parent);
    const session = await warden.session({ ...body, verifiedUser: principal.verifiedUser ?? null });
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

  app.post("/:id/end", authenticated, requireRole("agent", "admin"), async (c) => {
    const body = c.req.header("content-length") === "0" ? {} : await readJson(c, EndBody).catch(emptyBody(c));
    await ownSession(c, c.req.param("id"));
    const ended = await warden.sessions.end(c.req.param("id"), body.reason ?? "ended");
    return c.json({ id: ended.id, endedAt: ended.endedAt, reason: ended.endReason });
  });

  app.get("/", authenticated, requireRole("auditor", "admin"), async (c) => {
    const active = c.req.query("active");
    const rows = await warden.ledger.store.sessions({
      agent: c.req.query("agent"),
      active: active === undefined ? undefined : active === "true",
      limit: boundedLimit(c.req.query("limit")),
    });
    return c.json({ sessions: rows });
  });

  app.get("/:id", authenticated, requireRole("auditor", "admin"), async (c) =>
    c.json(await warden.sessions.get(c.req.param("id"))),
  );

  return app;
}

function emptyBody(c: Context) {
  return (err: unknown) => {
    // An end request may come without a body at all.
    if (!c.req.header("content-type")) return {};
    throw err;
  };
}
