// The approvals API: list and read approvals, decide them (bearer token, dashboard session, or a signed
// chat-ops integration), redeem action links, and let an HTTP agent wait for its call's approval.
import type { Context, Hono } from "hono";
import { z } from "zod";
import {
  type ApprovalView,
  type Approver,
  type DecisionInput,
  type HeldArgsRead,
  SeenIds,
  verifyIntegrationRequest,
} from "../approvals/index.js";
import { WardenError } from "../errors.js";
import type { TokenRow } from "../ledger/index.js";
import { parseDuration } from "../policy/index.js";
import type { Warden } from "../warden.js";
import { type AuthEnv, requireOwnCall, requireRole } from "./auth.js";
import { parseJson, readJson, readText } from "./body.js";
import { isProviderRow } from "./provider-principal.js";
import { tokenIdentity } from "./tokens.js";

const remember = z.union([
  z.enum(["once", "session"]),
  z.string().refine((s) => parseDuration(s) !== null, {
    error: "remember is once, session or a duration such as 1h",
  }),
]);
const DecisionBody = z.strictObject({
  decision: z.enum(["approve", "deny"]),
  reason: z.string().max(2_000).nullish(),
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
  approver: z.string().min(1).max(256),
  approvalId: z.string().min(1).max(128),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
});
const LinkBody = z.strictObject({ link: z.string().min(1).max(2_048) });
const STATUS = z.enum(["pending", "decided", "all"]);

/** Longest a GET /v1/calls/{id}?wait= holds the request. */
const MAX_WAIT_MS = 60_000;

/** Signed decisions from chat-ops bots: registered before the bearer check, they carry no token. */
export function mountIntegrationDecisions(app: Hono<AuthEnv>, warden: Warden): void {
  const seen = new SeenIds();
  app.post("/v1/approvals/:id/decision", async (c, next) => {
    if (c.req.header("authorization") !== undefined || c.req.header("webhook-signature") === undefined) {
      return next();
    }
    const raw = await readText(c);
    const verified = verifyIntegrationRequest(warden.approvals.integrations, headersOf(c), raw, seen);
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
  });
}

export function mountApprovalRoutes(app: Hono<AuthEnv>, warden: Warden): void {
  const queue = warden.approvals.queue;

  app.get("/v1/approvals", async (c) => {
    requireRole(c, ["approver", "auditor", "admin"]);
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
    const reader = readerOf(c.get("token"));
    const approvals = await Promise.all(
      current.map(async (v) => ({ ...v, heldArgs: heldArgsBody(await queue.heldArgsFor(v, reader)) })),
    );
    return c.json({ approvals });
  });

  app.get("/v1/approvals/:id", async (c) => {
    requireRole(c, ["approver", "auditor", "admin"]);
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
        const d = r.data.decision as { effect?: string; enforced?: string; ruleId?: string } | undefined;
        return {
          callId: r.callId,
          tool: r.data.tool,
          effect: d?.effect ?? null,
          enforced: d?.enforced ?? null,
          ruleId: d?.ruleId ?? null,
          rationale: r.data.rationale ?? null,
          ts: r.ts,
        };
      });
    // The redacted values in clear, only for someone this approval accepts as a decider, while pending.
    const heldArgs = heldArgsBody(await queue.heldArgsFor(view, readerOf(c.get("token"))));
    return c.json({ approval: { ...view, heldArgs }, previousCalls });
  });

  app.post("/v1/approvals/:id/decision", async (c) => {
    const token = requireRole(c, ["approver", "admin", "agent", "auditor"]);
    const body = await readJson(c, DecisionBody);
    // A cookie-authenticated request came from the dashboard; a bearer one from a script or the CLI.
    // A person the identity provider vouched for says so: "sso" (dashboard) or "provider-token" (bearer).
    const viaProvider = isProviderRow(token);
    const via =
      c.req.header("authorization") === undefined
        ? viaProvider
          ? "sso"
          : "dashboard"
        : viaProvider
          ? "provider-token"
          : "api";
    // Four eyes and "not your own call" compare people: a token that decides must name its person.
    if (token.name === null && (token.role === "approver" || token.role === "admin")) {
      throw new WardenError(
        "FORBIDDEN",
        "this token has no name; decide with a named token (warden token create --name)",
      );
    }
    const approver: Approver = { name: tokenIdentity(token), role: token.role, via };
    return c.json({ approval: await queue.decide(c.req.param("id"), decisionInput(body, approver)) });
  });

  app.post("/v1/approvals/:id/link", async (c) => {
    requireRole(c, ["approver", "admin"]);
    const { link } = await readJson(c, LinkBody);
    const action = warden.approvals.links.redeem(c.req.param("id"), link);
    return c.json({ action });
  });

  /** Where an HTTP agent learns what became of its call; `?wait=30s` holds the answer while it is pending. */
  app.get("/v1/calls/:id", async (c) => {
    const token = requireRole(c, ["agent", "auditor", "admin"]);
    const callId = c.req.param("id");
    const wait = c.req.query("wait");
    const waitMs = wait === undefined ? 0 : parseDuration(wait);
    if (waitMs === null || waitMs > MAX_WAIT_MS) {
      throw new WardenError("INVALID_REQUEST", "wait is a duration up to 60s, e.g. wait=30s");
    }
    await requireOwnCall(warden.ledger.store, token, callId);
    const state = await warden.gate.callState(callId, waitMs);
    const approval = state.approval;
    return c.json({
      callId,
      decision: state.decision === "ask" ? "pending" : state.decision,
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

function readerOf(token: TokenRow): { name: string; role: TokenRow["role"] } {
  return { name: tokenIdentity(token), role: token.role };
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
