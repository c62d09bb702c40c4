// /v1/approvals: list and read approvals, decide them (bearer token, dashboard session, or a signed
// chat-ops integration), redeem action links.
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import {
  type ApprovalView,
  type Approver,
  type DecisionInput,
  type HeldArgsRead,
  verifyIntegrationRequest,
} from "../approvals/index.js";
import { parseDuration } from "../config/index.js";
import { WardenError } from "../errors.js";
import { parseRecord } from "../ledger/index.js";
import type { Warden } from "../warden.js";
import { type AuthEnv, type Principal, requireRole } from "./auth.js";
import { parseJson, printableText, readJson, readText, wellFormedText } from "./body.js";
import type { RouteDeps } from "./routes.js";
import { tokenIdentity } from "./tokens.js";

const remember = z.union([
  z.enum(["once", "session"]),
  z.string().refine((s) => parseDuration(s) !== null, {
    error: "remember is once, session or a duration such as 1h",
  }),
]);
const DecisionBody = z.strictObject({
  decision: z.enum(["approve", "deny"]),
  reason: wellFormedText(2_000, 0).nullish(),
  remember: remember.nullish(),
  digest: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/)
    .nullish(),
});
/**
 * A chat-ops bot also names the person who clicked (its signature vouches for that), and the approval
 * and digest it decides: a signed body can then not be replayed against another approval.
 */
const IntegrationBody = DecisionBody.extend({
  approver: printableText(256),
  approvalId: z.string().min(1).max(128),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
});
const LinkBody = z.strictObject({ link: z.string().min(1).max(2_048) });
const STATUS = z.enum(["pending", "decided", "all"]);

export function approvalsRoutes({ warden, authenticated }: RouteDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const queue = warden.approvals.queue;

  app.get("/", authenticated, requireRole("approver", "auditor", "admin"), async (c) => {
    const status = STATUS.safeParse(c.req.query("status") ?? "pending");
    if (!status.success) throw new WardenError("INVALID_REQUEST", "status is pending, decided or all");
    const limit = Number(c.req.query("limit") ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1_000)
      throw new WardenError("INVALID_REQUEST", "limit must be 1–1000");
    await queue.book.poll();
    // A pending approval of an ended session reads as closed, so the status is judged on the current view.
    const wanted = (v: ApprovalView) =>
      status.data === "all" || (status.data === "pending") === (v.status === "pending");
    const candidates = queue.book.list((v) => status.data !== "pending" || v.status === "pending", 1_000);
    const current = (await Promise.all(candidates.map((v) => queue.current(v))))
      .filter(wanted)
      .slice(0, limit);
    const reader = readerOf(c.var.principal);
    const approvals = await Promise.all(
      current.map(async (v) => ({
        ...v,
        heldArgs: reader === null ? null : heldArgsBody(await queue.heldArgsFor(v, reader)),
      })),
    );
    return c.json({ approvals });
  });

  app.get("/:id", authenticated, requireRole("approver", "auditor", "admin"), async (c) => {
    await queue.book.poll();
    const known = queue.book.get(c.req.param("id"));
    if (!known) throw new WardenError("APPROVAL_NOT_FOUND", `no approval ${c.req.param("id")}`);
    const view = await queue.current(known);
    // The session's calls before this one, as approvers judge the request in its context.
    const records = await warden.ledger.store.query({
      session: view.session,
      kinds: ["call.intent"],
      newestFirst: true,
      limit: 50,
    });
    const previousCalls = records
      .filter((r) => r.callId !== view.callId && r.ts <= view.createdAt)
      .map((r) => {
        const read = parseRecord(r, "call.intent");
        // A malformed intent is listed as such (what is wrong, where), its fields null.
        if (!read.ok) {
          const empty = { tool: null, effect: null, enforced: null, ruleId: null, rationale: null };
          return { callId: r.callId, ...empty, ts: r.ts, malformed: read.error.message };
        }
        const { tool, decision: d, rationale } = read.record.data;
        return {
          callId: r.callId,
          tool,
          effect: d.effect,
          enforced: d.enforced ?? null,
          ruleId: d.ruleId ?? null,
          rationale: rationale ?? null,
          ts: r.ts,
        };
      });
    // The redacted values in clear, only for someone this approval accepts as a decider, while pending.
    const reader = readerOf(c.var.principal);
    const heldArgs = reader === null ? null : heldArgsBody(await queue.heldArgsFor(view, reader));
    return c.json({ approval: { ...view, heldArgs }, previousCalls });
  });

  // A chat-ops bot's signed request is answered by its first step; everyone else is authenticated.
  app.post(
    "/:id/decision",
    signedDecision(warden),
    authenticated,
    requireRole("approver", "admin", "agent", "auditor"),
    async (c) => {
      const principal = c.var.principal;
      const body = await readJson(c, DecisionBody);
      // Four eyes and "not your own call" compare people: a token that decides must name its person.
      if (principal.name === null && (principal.role === "approver" || principal.role === "admin")) {
        throw new WardenError(
          "FORBIDDEN",
          "this token has no name; decide with a named token (warden token create --name)",
        );
      }
      const approver: Approver = { name: tokenIdentity(principal), role: principal.role, via: principal.via };
      return c.json({ approval: await queue.decide(c.req.param("id"), decisionInput(body, approver)) });
    },
  );

  app.post("/:id/link", authenticated, requireRole("approver", "admin"), async (c) => {
    const { link } = await readJson(c, LinkBody);
    const action = warden.approvals.links.redeem(c.req.param("id"), link);
    return c.json({ action });
  });

  return app;
}

/**
 * Decisions from chat-ops bots: a request with a Standard Webhooks signature and no bearer header is
 * verified and answered here, without a token; any other goes on to authentication.
 */
function signedDecision(warden: Warden): MiddlewareHandler<AuthEnv, "/:id/decision"> {
  return async (c, next) => {
    if (c.req.header("authorization") !== undefined || c.req.header("webhook-signature") === undefined) {
      return next();
    }
    const raw = await readText(c);
    const verified = verifyIntegrationRequest(
      warden.approvals.integrations,
      headersOf(c),
      raw,
      warden.approvals.integrationIds,
    );
    const body = parseJson(raw, IntegrationBody);
    if (body.approvalId !== c.req.param("id")) {
      throw new WardenError("WEBHOOK_INVALID", "the signed body names another approval than the URL");
    }
    const approver: Approver = {
      name: body.approver,
      role: "approver",
      via: `webhook:${verified.integration}`,
    };
    const view = await warden.approvals.queue.decide(c.req.param("id"), decisionInput(body, approver));
    return c.json({ approval: view });
  };
}

function decisionInput(body: z.output<typeof DecisionBody>, approver: Approver): DecisionInput {
  const r = body.remember ?? null;
  const remember: DecisionInput["remember"] =
    r === null || r === "once" ? null : r === "session" ? "session" : parseDuration(r);
  return {
    decision: body.decision,
    approver,
    reason: body.reason ?? null,
    remember,
    digest: body.digest ?? null,
  };
}

/** Who reads held arguments: as a decider would be named (an unnamed token names no person, so no reader). */
function readerOf(principal: Principal): { name: string; role: Principal["role"] } | null {
  if (principal.name === null && (principal.role === "approver" || principal.role === "admin")) return null;
  return { name: tokenIdentity(principal), role: principal.role };
}

/** `null`: nothing to show this reader (none held, or not a decider of this approval). */
function heldArgsBody(read: HeldArgsRead | null) {
  if (read === null || read.state === "none") return null;
  return read.state === "held"
    ? { state: read.state, args: read.args, until: read.until }
    : { state: read.state, message: read.message };
}

function headersOf(c: Context): Record<string, string | undefined> {
  return {
    "webhook-id": c.req.header("webhook-id"),
    "webhook-timestamp": c.req.header("webhook-timestamp"),
    "webhook-signature": c.req.header("webhook-signature"),
  };
}
