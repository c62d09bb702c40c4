// A decision's body is checked at the route: a reason or a chat-ops approver that is not valid Unicode gets
// INVALID_REQUEST naming the field, not a failed ledger write (INVALID_ARGS with an internal path).
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { createToken, startServer } from "../../src/server/index.js";
import { onCleanup, openWarden } from "../helpers.js";
import { apiClient } from "./api-client.js";

const SECRET = `whsec_${Buffer.from("0123456789abcdef0123456789abcdef").toString("base64")}`;
const POLICY = {
  default: "allow",
  rules: [{ id: "mail", tool: "send_email", decision: "ask" }],
  approvals: { integrations: [{ name: "chatops", secretEnv: "CHATOPS_SECRET" }] },
};

describe("decision bodies", () => {
  it("refuse a lone surrogate in the reason or the signed approver at the route", async () => {
    const { warden } = await openWarden(POLICY, { env: { CHATOPS_SECRET: SECRET } });
    const server = await startServer(warden, { host: "127.0.0.1", port: 0 });
    onCleanup(() => server.close());
    const api = apiClient(() => server.url);
    const store = warden.ledger.store;
    const agent = (await createToken(store, { role: "agent", agent: "mail-bot" })).token;
    const approver = (await createToken(store, { role: "approver", name: "alice@example.com" })).token;
    const identity = { agent: "mail-bot", onBehalfOf: "carol@example.com", intent: "reply" };
    const session = String((await api("POST", "/v1/sessions", agent, identity)).body.id);
    const decided = await api("POST", "/v1/decisions", agent, { session, tool: "send_email", args: {} });
    const { id, digest } = decided.body.approval as { id: string; digest: string };
    const path = `/v1/approvals/${id}/decision`;

    const byToken = await api("POST", path, approver, { decision: "approve", reason: "ok \ud800" });
    const text = JSON.stringify({ decision: "deny", approver: "\ud800", approvalId: id, digest });
    const at = new Date();
    const byBot = await api("POST", path, null, text, {
      "webhook-id": "msg_1",
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": new Webhook(SECRET).sign("msg_1", at, text),
    });
    for (const [answer, field] of [
      [byToken, "reason"],
      [byBot, "approver"],
    ] as const) {
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatchObject({
        code: "INVALID_REQUEST",
        issues: [{ path: [field] }],
      });
    }
    // Nothing was recorded: the approval still takes a decision.
    const ok = await api("POST", path, approver, { decision: "approve", reason: "fine" });
    expect(ok.body.approval).toMatchObject({ status: "approved" });
  });
});
