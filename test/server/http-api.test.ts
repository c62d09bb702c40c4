import { request } from "node:http";
import { beforeEach, describe, expect, it } from "vitest";
import type { Warden } from "../../src/index.js";
import { createToken, type RunningServer, startServer } from "../../src/server/index.js";
import { onCleanup, openWarden } from "../helpers.js";
import { apiClient } from "./api-client.js";
import { TWO_AGENTS } from "./two-agents.js";

const POLICY = {
  agents: TWO_AGENTS,
  rules: [
    { id: "read", tools: ["read_ticket"], decision: "allow" },
    { id: "no-mail", tools: ["send_email"], decision: "deny", reason: "mail is off" },
  ],
};

let warden: Warden;
let server: RunningServer;
let tokens: Record<"agent" | "other" | "auditor" | "admin" | "approver", string>;

const api = apiClient(() => server.url);

/** A POST that reads the answer even when the server stops reading the body early (as it must for 413). */
function rawPost(path: string, token: string, body: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${server.url}${path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
      },
    });
    req.on("response", (res) => {
      let text = "";
      res.on("data", (c) => {
        text += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", (err) => (req.writableEnded ? undefined : reject(err)));
    req.end(body);
  });
}

beforeEach(async () => {
  ({ warden } = await openWarden(POLICY));
  server = await startServer(warden, { port: 0 });
  onCleanup(() => server.close());
  const store = warden.ledger.store;
  tokens = {
    agent: (await createToken(store, { role: "agent", agent: "support-bot" })).token,
    other: (await createToken(store, { role: "agent", agent: "other-bot" })).token,
    auditor: (await createToken(store, { role: "auditor" })).token,
    approver: (await createToken(store, { role: "approver", name: "alice@example.com" })).token,
    admin: (await createToken(store, { role: "admin" })).token,
  };
});

async function openSession(token = tokens.agent) {
  const res = await api("POST", "/v1/sessions", token, {
    agent: "support-bot",
    onBehalfOf: "alice@example.com",
    intent: "answer ticket #123",
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

describe("HTTP decision service", () => {
  it("binds to 127.0.0.1 by default and serves health and metrics", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await api("GET", "/healthz", null)).body).toMatchObject({ ok: true });
    const id = await openSession();
    await api("POST", "/v1/decisions", tokens.agent, { session: id, tool: "read_ticket", args: {} });
    const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
    expect(metrics).toContain('warden_decisions_total{effect="allow",enforced="allow"} 1');
  });

  it("runs a session: decisions are durable before the answer, outcomes and end recorded", async () => {
    const id = await openSession();
    const allow = await api("POST", "/v1/decisions", tokens.agent, {
      session: id,
      tool: "read_ticket",
      args: { id: 123 },
      rationale: "the user asked",
      callId: "tc_1",
    });
    expect(allow.status).toBe(200);
    expect(allow.body).toMatchObject({ callId: "tc_1", decision: "allow", ruleId: "read" });
    const stored = await warden.ledger.store.query({ callId: "tc_1", kinds: ["call.intent"] });
    expect(stored).toHaveLength(1);

    // A W3C traceparent header is recorded with the call, so exported spans join the caller's trace.
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const traced = await api(
      "POST",
      "/v1/decisions",
      tokens.agent,
      { session: id, tool: "read_ticket", callId: "tc_t" },
      { traceparent },
    );
    const [tracedIntent] = await warden.ledger.store.query({
      callId: traced.body.callId,
      kinds: ["call.intent"],
    });
    expect(tracedIntent!.data.traceparent).toBe(traceparent);
    const badTrace = await api(
      "POST",
      "/v1/decisions",
      tokens.agent,
      { session: id, tool: "read_ticket" },
      { traceparent: "garbage" },
    );
    expect(badTrace.status).toBe(400);

    const deny = await api("POST", "/v1/decisions", tokens.agent, {
      session: id,
      tool: "send_email",
      args: {},
    });
    expect(deny.body).toMatchObject({ decision: "deny", ruleId: "no-mail", reason: "mail is off" });

    const reported = await api("POST", "/v1/calls/tc_1/outcome", tokens.agent, {
      status: "ok",
      result: { ok: 1 },
    });
    // Nothing to screen away: the answer does not echo the result back.
    expect(reported).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(reported.body).not.toHaveProperty("result");
    expect((await api("POST", `/v1/sessions/${id}/end`, tokens.agent, {})).status).toBe(200);
    const after = await api("POST", "/v1/decisions", tokens.agent, {
      session: id,
      tool: "read_ticket",
      args: {},
    });
    expect(after.status).toBe(409);
    expect(after.body.error.code).toBe("SESSION_ENDED");

    // A misspelt filter or order is refused, not read as no filter.
    for (const query of [`sesion=${id}`, `session=${id}&order=ascending`]) {
      const refused = await api("GET", `/v1/ledger?${query}`, tokens.auditor);
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe("INVALID_REQUEST");
    }
    const ledger = await api("GET", `/v1/ledger?session=${id}&order=asc`, tokens.auditor);
    expect(ledger.body.records.map((r: { kind: string }) => r.kind)).toEqual([
      "session.start",
      "call.intent",
      "call.intent",
      "call.intent",
      "call.outcome",
      "session.end",
    ]);
    const chain = await api("GET", "/v1/calls/tc_1/chain", tokens.auditor);
    expect(chain.body).toMatchObject({
      user: "alice@example.com",
      tool: "read_ticket",
      rationale: "the user asked",
    });
  });

  it("enforces tokens and roles", async () => {
    const id = await openSession();
    expect((await api("POST", "/v1/sessions", null, {})).status).toBe(401);
    expect((await api("POST", "/v1/sessions", "wdn_not-a-real-token", {})).status).toBe(401);
    // An agent token never reads the ledger; an auditor never decides.
    expect((await api("GET", "/v1/ledger", tokens.agent)).status).toBe(403);
    expect(
      (await api("POST", "/v1/decisions", tokens.auditor, { session: id, tool: "read_ticket" })).status,
    ).toBe(403);
    expect(
      (await api("POST", "/v1/decisions", tokens.approver, { session: id, tool: "read_ticket" })).status,
    ).toBe(403);
    // An agent token acts only for its own agent.
    const foreign = await api("POST", "/v1/sessions", tokens.other, {
      agent: "support-bot",
      onBehalfOf: "a",
      intent: "b",
    });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe("FORBIDDEN");
    expect(
      (await api("POST", "/v1/decisions", tokens.other, { session: id, tool: "read_ticket" })).status,
    ).toBe(403);
    expect(
      (await api("POST", "/v1/sessions", tokens.admin, { agent: "other-bot", onBehalfOf: "a", intent: "b" }))
        .status,
    ).toBe(201);
  });

  it("rejects bad bodies with JSON errors and records nothing", async () => {
    const id = await openSession();
    const before = (await warden.ledger.head())?.seq;
    const notJson = await api("POST", "/v1/decisions", tokens.agent, "{not json");
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe("INVALID_REQUEST");
    const big = await rawPost(
      "/v1/decisions",
      tokens.agent,
      JSON.stringify({ session: id, tool: "read_ticket", args: { x: "a".repeat(2_000_000) } }),
    );
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body).error.code).toBe("PAYLOAD_TOO_LARGE");
    const deep = await api(
      "POST",
      "/v1/decisions",
      tokens.agent,
      `{"session":"${id}","tool":"read_ticket","args":${"[".repeat(500)}${"]".repeat(500)}}`,
    );
    expect(deep.status).toBe(400);
    const unknownKey = await api("POST", "/v1/decisions", tokens.agent, {
      session: id,
      tool: "read_ticket",
      evil: 1,
    });
    expect(unknownKey.status).toBe(400);
    expect(unknownKey.body.error.issues).toBeDefined();
    const wrongType = await api("POST", "/v1/decisions", tokens.agent, "[]", {
      "content-type": "text/plain",
    });
    expect(wrongType.status).toBe(400);
    expect((await warden.ledger.head())?.seq).toBe(before);
  });

  it("answers 404 for unknown sessions and agents' unknown calls", async () => {
    const res = await api("POST", "/v1/decisions", tokens.agent, {
      session: "ses_nope",
      tool: "read_ticket",
    });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("SESSION_NOT_FOUND");
    expect((await api("POST", "/v1/calls/nope/outcome", tokens.admin, { status: "ok" })).status).toBe(404);
    const unknownAgent = await api("POST", "/v1/sessions", tokens.admin, {
      agent: "ghost",
      onBehalfOf: "a",
      intent: "b",
    });
    expect(unknownAgent.body.error.code).toBe("AGENT_UNKNOWN");
  });

  it("refuses the call ids . and .., which no client can put in /v1/calls/{id}, and records nothing", async () => {
    const id = await openSession();
    const before = (await warden.ledger.head())?.seq;
    for (const callId of [".", ".."]) {
      const res = await api("POST", "/v1/decisions", tokens.agent, {
        session: id,
        tool: "read_ticket",
        callId,
      });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({
        code: "INVALID_REQUEST",
        message: expect.stringContaining(".."),
      });
    }
    expect((await warden.ledger.head())?.seq).toBe(before);
    // Dots inside an id are fine: the URL keeps them.
    const dotted = await api("POST", "/v1/decisions", tokens.agent, {
      session: id,
      tool: "read_ticket",
      callId: "...",
    });
    expect(dotted.body).toMatchObject({ callId: "...", decision: "allow" });
    const reported = await api("POST", "/v1/calls/.../outcome", tokens.agent, { status: "ok" });
    expect(reported.status).toBe(200);
  });
});
