// The approvals API over real HTTP: pending decisions, long-polling agents, who may decide, and signed
// chat-ops decisions (bad signatures, old timestamps and replays refused).

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Warden } from "../../src/index.js";
import { createToken, type RunningServer, startServer } from "../../src/server/index.js";
import { onCleanup, openWarden } from "../helpers.js";
import { apiClient } from "./api-client.js";

const SECRET = `whsec_${Buffer.from("0123456789abcdef0123456789abcdef").toString("base64")}`;
const POLICY = {
  default: "allow",
  rules: [{ id: "mail", tool: "send_email", decision: "ask", reason: "mail leaves the company" }],
  approvals: { integrations: [{ name: "chatops", secretEnv: "CHATOPS_SECRET" }], timeout: "30s" },
};

let warden: Warden;
let server: RunningServer;
let tokens: Record<"agent" | "auditor" | "approver" | "admin", string>;

const api = apiClient(() => server.url);

beforeEach(async () => {
  ({ warden } = await openWarden(POLICY, { env: { CHATOPS_SECRET: SECRET } }));
  server = await startServer(warden, { host: "127.0.0.1", port: 0 });
  onCleanup(() => server.close());
  const mint = async (role: "agent" | "auditor" | "approver" | "admin", extra: object) =>
    (await createToken(warden.ledger.store, { role, ...extra })).token;
  tokens = {
    agent: await mint("agent", { agent: "mail-bot" }),
    auditor: await mint("auditor", { name: "audrey@sec.example.com" }),
    approver: await mint("approver", { name: "alice@sec.example.com" }),
    admin: await mint("admin", { name: "root@sec.example.com" }),
  };
});

async function pendingCall() {
  const session = await api("POST", "/v1/sessions", tokens.agent, {
    agent: "mail-bot",
    onBehalfOf: "carol@example.com",
    intent: "reply",
  });
  const decided = await api("POST", "/v1/decisions", tokens.agent, {
    session: session.body.id,
    tool: "send_email",
    args: { to: "dave@example.com" },
  });
  expect(decided.status).toBe(200);
  expect(decided.body).toMatchObject({
    decision: "pending",
    effect: "ask",
    approval: { status: "pending", required: 1 },
  });
  return decided.body as { callId: string; approval: { id: string; digest: string } };
}

describe("approvals over HTTP", () => {
  it("denies a session's ask past approvals.maxPendingPerSession (default 100) with APPROVALS_PENDING_LIMIT", async () => {
    const session = await api("POST", "/v1/sessions", tokens.agent, {
      agent: "mail-bot",
      onBehalfOf: "carol@example.com",
      intent: "reply",
    });
    const ask = (i: number) =>
      api("POST", "/v1/decisions", tokens.agent, {
        session: session.body.id,
        tool: "send_email",
        args: { to: `u${i}@example.com` },
      });
    const asked: { approval: { id: string } }[] = [];
    for (let i = 0; i < 100; i++) {
      const d = await ask(i);
      expect(d.body).toMatchObject({ decision: "pending" });
      asked.push(d.body);
    }
    const refused = await ask(100);
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({
      decision: "deny",
      effect: "deny",
      code: "APPROVALS_PENDING_LIMIT",
      ruleId: "approvals:maxPendingPerSession",
      approval: null,
    });
    expect(refused.body.reason).toContain("100 approvals pending");
    expect((await api("GET", "/v1/approvals?limit=1000", tokens.approver)).body.approvals).toHaveLength(100);

    const decided = await api("POST", `/v1/approvals/${asked[0]!.approval.id}/decision`, tokens.approver, {
      decision: "deny",
      reason: "no",
    });
    expect(decided.status).toBe(200);
    expect((await ask(101)).body).toMatchObject({ decision: "pending" });
  });

  it("shows the approvals of an ended session as closed, with the reason, and says an HTTP caller cannot be watched", async () => {
    const call = await pendingCall();
    const open = await api("GET", `/v1/approvals/${call.approval.id}`, tokens.approver);
    expect(open.body.approval).toMatchObject({
      status: "pending",
      closed: null,
      callerState: { state: "unknown", text: expect.stringContaining("runs the tool itself") },
    });
    const [intent] = await warden.ledger.store.query({ callId: call.callId, kinds: ["call.intent"] });
    expect((await api("POST", `/v1/sessions/${intent!.session}/end`, tokens.agent, {})).status).toBe(200);

    const closed = { status: "closed", closed: { reason: expect.stringContaining("session ended") } };
    const read = await api("GET", `/v1/approvals/${call.approval.id}`, tokens.approver);
    expect(read.body.approval).toMatchObject(closed);
    expect((await api("GET", "/v1/approvals", tokens.approver)).body.approvals).toEqual([]);
    const decidedList = (await api("GET", "/v1/approvals?status=decided", tokens.approver)).body.approvals;
    expect(decidedList).toHaveLength(1);
    expect(decidedList[0]).toMatchObject({ id: call.approval.id, ...closed });
    const state = await api("GET", `/v1/calls/${call.callId}`, tokens.agent);
    expect(state.body).toMatchObject({ decision: "deny", code: "SESSION_ENDED", approval: closed });
    const decided = await api("POST", `/v1/approvals/${call.approval.id}/decision`, tokens.approver, {
      decision: "approve",
    });
    expect(decided.body.error).toMatchObject({ code: "APPROVAL_CLOSED" });
  });

  it("answers a long poll at once with code SESSION_ENDED when the call's session ends while it waits", async () => {
    const call = await pendingCall();
    const still = await api("GET", `/v1/calls/${call.callId}?wait=50ms`, tokens.agent);
    expect(still.body).toMatchObject({ decision: "pending", code: null });
    const waits = vi.spyOn(warden.approvals.queue.book, "wait");
    const started = Date.now();
    let answered = false;
    const poll = api("GET", `/v1/calls/${call.callId}?wait=20s`, tokens.agent).finally(() => {
      answered = true;
    });
    // The poll is held (waiting on the approval) when the session ends, or this would test the plain read above.
    await vi.waitFor(() => expect(waits).toHaveBeenCalledWith(call.approval.id, expect.any(AbortSignal)));
    expect(answered).toBe(false);
    waits.mockRestore();
    const [intent] = await warden.ledger.store.query({ callId: call.callId, kinds: ["call.intent"] });
    const ended = await api("POST", `/v1/sessions/${intent!.session}/end`, tokens.agent, {
      reason: "user left",
    });
    expect(ended.status).toBe(200);

    const answer = await poll;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      callId: call.callId,
      decision: "deny",
      code: "SESSION_ENDED",
      approval: { id: call.approval.id, status: "closed", closed: { reason: "session ended: user left" } },
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("tells browsers and proxies to store no answer holding arguments, refusals included", async () => {
    const call = await pendingCall();
    const answers = [
      await api("GET", `/v1/approvals/${call.approval.id}`, tokens.approver),
      await api("GET", "/v1/approvals", tokens.approver),
      await api("GET", `/v1/calls/${call.callId}`, tokens.agent),
      await api("GET", `/v1/approvals/${call.approval.id}`, null),
      await api("GET", "/v1/no-such-route", tokens.approver),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 401, 404]);
    expect(answers[0]!.body.approval.args).toEqual({ to: "dave@example.com" });
    for (const answer of answers) {
      expect(answer.headers.get("cache-control")).toBe("no-store");
      expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });

  it("holds an agent's long poll until an approver decides, and enforces who may", async () => {
    const call = await pendingCall();
    const still = await api("GET", `/v1/calls/${call.callId}?wait=50ms`, tokens.agent);
    expect(still.body).toMatchObject({ decision: "pending", approval: { status: "pending" } });
    const poll = api("GET", `/v1/calls/${call.callId}?wait=20s`, tokens.agent);

    const listed = await api("GET", "/v1/approvals", tokens.auditor);
    expect(listed.body.approvals).toEqual([
      expect.objectContaining({ id: call.approval.id, tool: "send_email", args: { to: "dave@example.com" } }),
    ]);
    const detail = await api("GET", `/v1/approvals/${call.approval.id}`, tokens.approver);
    expect(detail.body.approval).toMatchObject({
      intent: "reply",
      onBehalfOf: "carol@example.com",
      digest: call.approval.digest,
    });

    const decide = (token: string, body: object) =>
      api("POST", `/v1/approvals/${call.approval.id}/decision`, token, body);
    expect((await decide(tokens.auditor, { decision: "approve" })).body.error.code).toBe("FORBIDDEN");
    expect((await decide(tokens.agent, { decision: "approve" })).body.error.code).toBe("FORBIDDEN");
    expect(
      (await decide(tokens.approver, { decision: "approve", digest: `sha256:${"a".repeat(64)}` })).status,
    ).toBe(409);
    expect((await decide(tokens.approver, { decision: "approve", remember: "forever" })).status).toBe(400);
    const ok = await decide(tokens.approver, { decision: "approve", digest: call.approval.digest });
    expect(ok.body.approval).toMatchObject({
      status: "approved",
      decisions: [{ approver: "alice@sec.example.com", via: "api" }],
    });

    await expect(poll).resolves.toMatchObject({
      body: { decision: "allow", approval: { status: "approved" } },
    });
    expect(
      (await api("POST", `/v1/calls/${call.callId}/outcome`, tokens.agent, { status: "ok" })).status,
    ).toBe(200);
    expect(
      (await api("POST", `/v1/calls/${call.callId}/outcome`, tokens.agent, { status: "ok" })).status,
    ).toBe(409);
    expect((await decide(tokens.admin, { decision: "approve" })).body.error.code).toBe("APPROVAL_CLOSED");
  });

  it("accepts a decision signed by a registered integration once, and refuses forged, old and replayed ones", async () => {
    const call = await pendingCall();
    const path = `/v1/approvals/${call.approval.id}/decision`;
    const body = JSON.stringify({
      decision: "deny",
      reason: "not today",
      approver: "bob@sec.example.com",
      approvalId: call.approval.id,
      digest: call.approval.digest,
    });
    const signed = (secret: string, id: string, at: Date, text = body) => ({
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": new Webhook(secret).sign(id, at, text),
    });
    const other = `whsec_${Buffer.from("another secret of thirty-two byt").toString("base64")}`;
    expect((await api("POST", path, null, body, signed(other, "msg_1", new Date()))).body.error.code).toBe(
      "WEBHOOK_INVALID",
    );
    expect(
      (await api("POST", path, null, body, signed(SECRET, "msg_2", new Date(Date.now() - 6 * 60_000)))).body
        .error.code,
    ).toBe("WEBHOOK_INVALID");
    const tampered = signed(SECRET, "msg_3", new Date(), body.replace("bob", "eve"));
    expect((await api("POST", path, null, body, tampered)).body.error.code).toBe("WEBHOOK_INVALID");
    expect((await api("POST", path, null, body)).status).toBe(401);

    // A validly signed body for this approval, sent to another approval's URL, is refused.
    const other2 = await pendingCall();
    const elsewhere = await api(
      "POST",
      `/v1/approvals/${other2.approval.id}/decision`,
      null,
      body,
      signed(SECRET, "msg_5", new Date()),
    );
    expect(elsewhere.body.error.code).toBe("WEBHOOK_INVALID");
    // The approver a bot names is printed wherever the ledger is read: no line breaks or overrides.
    for (const [i, name] of [
      "bob@sec.example.com\nalice@sec.example.com",
      "\u202ebob@sec.example.com",
    ].entries()) {
      const forged = body.replace('"bob@sec.example.com"', JSON.stringify(name));
      const answer = await api(
        "POST",
        path,
        null,
        forged,
        signed(SECRET, `msg_name_${i}`, new Date(), forged),
      );
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe("INVALID_REQUEST");
    }
    const good = signed(SECRET, "msg_4", new Date());
    const accepted = await api("POST", path, null, body, good);
    expect(accepted.status).toBe(200);
    expect(accepted.body.approval).toMatchObject({
      status: "denied",
      decisions: [{ approver: "bob@sec.example.com", via: "webhook:chatops", reason: "not today" }],
    });
    expect((await api("POST", path, null, body, good)).body.error.code).toBe("WEBHOOK_REPLAYED");
    // Every listener of one Warden remembers the same requests: a replay to another one is refused too.
    const second = await startServer(warden, { host: "127.0.0.1", port: 0 });
    onCleanup(() => second.close());
    const replayed = await apiClient(() => second.url)("POST", path, null, body, good);
    expect(replayed.body.error.code).toBe("WEBHOOK_REPLAYED");
    const state = await api("GET", `/v1/calls/${call.callId}`, tokens.agent);
    // A person's denial: no code, the approver's reason is in the approval.
    expect(state.body).toMatchObject({
      decision: "deny",
      code: null,
      approval: { decisions: [{ decision: "deny", reason: "not today" }] },
    });
  });

  it("announces a pending approval with a signed webhook carrying redacted details and action links", async () => {
    const received: { headers: Record<string, string>; body: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        received.push({ headers: req.headers as Record<string, string>, body });
        res.writeHead(received.length === 1 ? 503 : 204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    onCleanup(() => {
      receiver.close();
    });
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const { warden: w } = await openWarden(
      {
        ...POLICY,
        redact: { send_email: ["$.body"] },
        approvals: { webhooks: [{ name: "chat", url, secretEnv: "HOOK_SECRET" }] },
      },
      { env: { HOOK_SECRET: SECRET } },
    );
    const s = await startServer(w, { host: "127.0.0.1", port: 0 });
    onCleanup(() => s.close());
    w.approvals.useServerUrl(s.url);
    const session = await w.session({ agent: "mail-bot", onBehalfOf: "carol@example.com", intent: "reply" });
    const decided = await session.check("send_email", { to: "dave@example.com", body: "the secret plan" });
    // The first attempt gets a 503 and is retried with the same webhook id.
    await vi.waitFor(() => expect(received).toHaveLength(2), { timeout: 10_000 });
    expect(received[1]!.headers["webhook-id"]).toBe(received[0]!.headers["webhook-id"]);
    const payload = new Webhook(SECRET).verify(received[1]!.body, received[1]!.headers) as {
      type: string;
      data: {
        approval: { id: string; args: { body: string }; scope: { session: string } };
        links: { approve: string; deny: string };
      };
    };
    expect(payload.type).toBe("approval.requested");
    // What "remember" would let through, in words, before anyone chooses it.
    expect(payload.data.approval.scope.session).toBe(
      "later `send_email` calls with exactly these arguments, for the rest of this session",
    );
    expect(payload.data.approval.id).toBe(decided.approval!.id);
    expect(received[1]!.body).not.toContain("the secret plan");
    expect(payload.data.approval.args.body).toMatch(/^sha256:/);
    const approve = new URL(payload.data.links.approve);
    expect(approve.origin).toBe(new URL(s.url).origin);
    expect(approve.pathname).toBe(`/approvals/${decided.approval!.id}`);
    const notices = await vi.waitFor(async () => {
      const r = await w.ledger.store.query({ callId: decided.callId, kinds: ["approval.notify"] });
      expect(r).toHaveLength(2);
      return r;
    });
    expect(notices.map((r) => r.data.status)).toEqual(["failed", "delivered"]);
  });

  it("redeems an action link once, for its approval only", async () => {
    const call = await pendingCall();
    const link = warden.approvals.links.create({
      approvalId: call.approval.id,
      action: "approve",
      expiresAt: new Date(Date.now() + 60_000),
    });
    const redeem = (id: string) => api("POST", `/v1/approvals/${id}/link`, tokens.approver, { link });
    expect((await redeem("apr_other")).body.error.code).toBe("LINK_INVALID");
    expect((await redeem(call.approval.id)).body).toEqual({ action: "approve" });
    expect((await redeem(call.approval.id)).body.error.code).toBe("LINK_USED");
    expect(
      (await api("POST", `/v1/approvals/${call.approval.id}/link`, tokens.auditor, { link })).status,
    ).toBe(403);
  });
});
