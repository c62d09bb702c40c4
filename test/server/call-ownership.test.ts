// An agent token acts on its own agent's calls only, also on a call id another agent is about to use: the
// ownership check must not pass on "no such call yet" and then act on the call that appears meanwhile.
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Warden } from "../../src/index.js";
import type { LedgerStore } from "../../src/ledger/index.js";
import { createToken, type RunningServer, startServer } from "../../src/server/index.js";
import { onCleanup, openWarden } from "../helpers.js";
import { apiClient } from "./api-client.js";
import { TWO_AGENTS } from "./two-agents.js";

const POLICY = {
  agents: TWO_AGENTS,
  rules: [
    { id: "read", tools: ["read_ticket"], decision: "allow" },
    { id: "mail", tools: ["send_email"], decision: "ask", reason: "mail leaves the company" },
  ],
};

let warden: Warden;
let server: RunningServer;
let tokens: Record<"agent" | "other", string>;
const api = apiClient(() => server.url);

beforeEach(async () => {
  ({ warden } = await openWarden(POLICY));
  server = await startServer(warden, { port: 0 });
  onCleanup(() => server.close());
  const store = warden.ledger.store;
  tokens = {
    agent: (await createToken(store, { role: "agent", agent: "support-bot" })).token,
    other: (await createToken(store, { role: "agent", agent: "other-bot" })).token,
  };
});

/**
 * Holds the first lookup of `callId`'s intents that finds none (the ownership check of a request for a
 * call not made yet) until `release` is called: the window in which another agent's call takes the id.
 */
function holdEmptyLookup(store: LedgerStore, callId: string) {
  const query = store.query.bind(store);
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let reached = () => {};
  const atCheck = new Promise<void>((resolve) => {
    reached = resolve;
  });
  let holding = true;
  vi.spyOn(store, "query").mockImplementation(async (q) => {
    const found = await query(q);
    if (holding && q.callId === callId && found.length === 0 && q.limit === undefined) {
      holding = false;
      reached();
      await held;
    }
    return found;
  });
  onCleanup(() => {
    vi.restoreAllMocks();
  });
  return { atCheck, release };
}

async function openSession(token: string, agent: string) {
  const session = await api("POST", "/v1/sessions", token, {
    agent,
    onBehalfOf: "alice@example.com",
    intent: "t",
  });
  expect(session.status).toBe(201);
  return session.body.id as string;
}

describe("an agent acts only on its own agent's calls", () => {
  it("refuses an outcome sent for a call id before another agent's call took it, and records none", async () => {
    const session = await openSession(tokens.agent, "support-bot");
    const gate = holdEmptyLookup(warden.ledger.store, "tc_1");
    const forged = api("POST", "/v1/calls/tc_1/outcome", tokens.other, { status: "ok", result: "forged" });
    await gate.atCheck;
    const decided = await api("POST", "/v1/decisions", tokens.agent, {
      session,
      tool: "read_ticket",
      args: { id: 1 },
      callId: "tc_1",
    });
    expect(decided.body).toMatchObject({ callId: "tc_1", decision: "allow" });
    gate.release();

    const answer = await forged;
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ error: { code: "CALL_NOT_FOUND" } });
    expect(await warden.ledger.store.query({ callId: "tc_1", kinds: ["call.outcome"] })).toEqual([]);
    // The agent whose call it is reports it.
    const own = await api("POST", "/v1/calls/tc_1/outcome", tokens.agent, { status: "ok", result: "done" });
    expect(own.status).toBe(200);
  });

  it("does not tell another agent the state of a call made after its read began", async () => {
    const session = await openSession(tokens.agent, "support-bot");
    const gate = holdEmptyLookup(warden.ledger.store, "tc_2");
    const peek = api("GET", "/v1/calls/tc_2", tokens.other);
    await gate.atCheck;
    const decided = await api("POST", "/v1/decisions", tokens.agent, {
      session,
      tool: "send_email",
      args: { to: "bob@example.com" },
      callId: "tc_2",
    });
    expect(decided.body).toMatchObject({ callId: "tc_2", decision: "pending" });
    gate.release();

    const answer = await peek;
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ error: { code: "CALL_NOT_FOUND" } });
    expect(JSON.stringify(answer.body)).not.toContain(decided.body.approval.digest);
  });

  it("answers CALL_NOT_FOUND, not FORBIDDEN or an empty read, for a call id nobody used", async () => {
    for (const [method, path, body] of [
      ["GET", "/v1/calls/tc_none", undefined],
      ["POST", "/v1/calls/tc_none/outcome", { status: "ok" }],
    ] as const) {
      const answer = await api(method, path, tokens.other, body);
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ error: { code: "CALL_NOT_FOUND" } });
    }
  });
});
