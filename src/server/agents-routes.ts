// GET /v1/agents[/:name]: the policy's agent registry ("employee directory") with recent activity from the ledger.
import { Hono } from "hono";
import { z } from "zod";
import type { AgentProfile } from "../identity/index.js";
import { type LedgerRecord, type LedgerStore, parseRecord } from "../ledger/index.js";
import { type AuthEnv, requireRole } from "./auth.js";
import { errorBody } from "./http-errors.js";
import type { RouteDeps } from "./routes.js";

/** Activity is read from this window and at most this many call records per agent: the page stays cheap. */
export const ACTIVITY_WINDOW_MS = 24 * 60 * 60 * 1000;
export const ACTIVITY_SCAN_LIMIT = 1000;
const DETAIL_LIST = 50;

const AgentName = z.string().min(1).max(256);

export interface AgentActivity {
  calls: number;
  denials: number;
  asks: number;
  lastSeen: string | null;
  /** True when the scan hit its cap, so the counts are lower bounds. */
  capped: boolean;
}

export interface CallSummary {
  callId: string | null;
  session: string | null;
  tool: string;
  effect: string;
  enforced: string;
  ruleId: string;
  reason: string;
  ts: string;
  /** Present only for a record whose data does not match its kind's schema: what is wrong, where. */
  malformed?: string;
}

export function agentsRoutes({ warden, authenticated }: RouteDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const store = warden.ledger.store;
  const readers = requireRole("auditor", "approver", "admin");

  app.get("/", authenticated, readers, async (c) => {
    const registry = warden.policy.agents;
    const names = new Set(registry?.keys() ?? []);
    // Without a registry (or for agents it lacks) the directory still lists whoever opened sessions.
    for (const s of await store.sessions({ limit: 200 })) names.add(s.agent);
    const agents = [];
    for (const name of [...names].sort()) {
      const calls = await recentCalls(store, name, ACTIVITY_SCAN_LIMIT);
      agents.push({ ...profileOf(name, registry?.get(name)), activity: activityOf(calls) });
    }
    return c.json({ registry: registry !== null, windowMs: ACTIVITY_WINDOW_MS, agents });
  });

  app.get("/:name", authenticated, readers, async (c) => {
    // Approvers may not read the ledger or the session list: they get the directory entry, not its history.
    const ledgerAccess = c.var.principal.role !== "approver";
    const parsed = AgentName.safeParse(c.req.param("name"));
    if (!parsed.success) return c.json(errorBody("INVALID_REQUEST", "bad agent name"), 400);
    const name = parsed.data;
    const profile = warden.policy.agents?.get(name);
    const sessions = await store.sessions({ agent: name, limit: 20 });
    if (!profile && sessions.length === 0) return c.json(errorBody("NOT_FOUND", `no agent ${name}`), 404);
    const calls = await recentCalls(store, name, ACTIVITY_SCAN_LIMIT);
    const summaries = ledgerAccess ? calls.map(summaryOf) : [];
    return c.json({
      agent: { ...profileOf(name, profile), activity: activityOf(calls) },
      ledgerAccess,
      recentCalls: summaries.slice(0, DETAIL_LIST),
      denials: summaries.filter((s) => s.effect === "deny").slice(0, DETAIL_LIST),
      sessions: ledgerAccess ? sessions : [],
    });
  });

  return app;
}

function profileOf(name: string, profile: AgentProfile | undefined) {
  return {
    name,
    registered: profile !== undefined,
    team: profile?.team ?? null,
    developer: profile?.developer ?? null,
    description: profile?.description ?? null,
    tools: profile?.tools ?? null,
  };
}

/** The agent's call.intent records of the activity window, newest first. */
function recentCalls(store: LedgerStore, agent: string, limit: number): Promise<LedgerRecord[]> {
  const since = new Date(Date.now() - ACTIVITY_WINDOW_MS).toISOString();
  return store.query({ agent, kinds: ["call.intent"], since, newestFirst: true, limit });
}

function activityOf(calls: LedgerRecord[]): AgentActivity {
  let denials = 0;
  let asks = 0;
  for (const r of calls) {
    const read = parseRecord(r, "call.intent");
    const effect = read.ok ? read.record.data.decision.effect : null;
    if (effect === "deny") denials++;
    else if (effect === "ask") asks++;
  }
  return {
    calls: calls.length,
    denials,
    asks,
    lastSeen: calls[0]?.ts ?? null,
    capped: calls.length >= ACTIVITY_SCAN_LIMIT,
  };
}

/** One call as the agent page lists it; a malformed intent is listed as such, its fields empty. */
function summaryOf(r: LedgerRecord): CallSummary {
  const read = parseRecord(r, "call.intent");
  const base = { callId: r.callId, session: r.session, ts: r.ts };
  if (!read.ok) {
    const empty = { tool: "", effect: "", enforced: "", ruleId: "", reason: "" };
    return { ...base, ...empty, malformed: read.error.message };
  }
  const { tool, decision } = read.record.data;
  return {
    ...base,
    tool,
    effect: decision.effect,
    // Fields the format's first intents lack read as "", as they did.
    enforced: decision.enforced ?? "",
    ruleId: decision.ruleId ?? "",
    reason: decision.reason ?? "",
  };
}
