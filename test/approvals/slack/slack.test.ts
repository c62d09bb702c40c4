// Native Slack approvals against a local receiver faithful to Slack's documented API and payloads:
// the Block Kit message, decisions from its buttons (signed v0, 5-minute window, no replays), the
// Slack user mapped to the approver recorded, and the message replaced with the outcome.
import { createHmac } from "node:crypto";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { SeenIds } from "../../../src/approvals/index.js";
import { verifySlackRequest } from "../../../src/approvals/slack/verify.js";
import { Warden } from "../../../src/index.js";
import { createToken, type RunningServer, startServer } from "../../../src/server/index.js";
import { onCleanup, openWarden } from "../../helpers.js";
import { apiClient } from "../../server/api-client.js";
import { type Block, FakeSlack } from "./fake-slack.js";

// Not in the xoxb- format: the receiver only compares it, and a real-looking token would be a finding.
const BOT_TOKEN = "fake-bot-token-for-tests";
const SIGNING_SECRET = "3c9a1f6e2b7d4a8c9e0f1a2b3c4d5e6f";
const SECRET_TEXT = "payroll run for March: 1.2M to account 44-1";

let slack: FakeSlack;
let warden: Warden;
let server: RunningServer;
const api = apiClient(() => server.url);

function policy(apiUrl: string) {
  return {
    default: "allow",
    redact: { send_email: ["$.body"] },
    rules: [{ id: "mail", tool: "send_email", decision: "ask", reason: "mail leaves the company" }],
    approvals: {
      timeout: "10m",
      slack: [
        {
          name: "ops",
          channel: "C0OPS0001",
          botTokenEnv: "SLACK_BOT_TOKEN",
          signingSecretEnv: "SLACK_SIGNING_SECRET",
          apiUrl,
          users: { U0ALICE01: "alice@sec.example.com", U0CAROL01: "carol@example.com" },
        },
        {
          name: "deciders",
          channel: "C0DEC0001",
          botTokenEnv: "SLACK_BOT_TOKEN",
          signingSecretEnv: "SLACK_SIGNING_SECRET",
          apiUrl,
          includeArgs: true,
          users: { U0ALICE01: "alice@sec.example.com" },
        },
      ],
    },
  };
}

beforeEach(async () => {
  slack = new FakeSlack({
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    channels: ["C0OPS0001", "C0DEC0001"],
  });
  await slack.start();
  onCleanup(() => slack.close());
  ({ warden } = await openWarden(policy(slack.apiUrl), {
    env: { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET },
  }));
  server = await startServer(warden, { host: "127.0.0.1", port: 0 });
  onCleanup(() => server.close());
});

async function ask() {
  const session = await warden.session({
    agent: "mail-bot",
    onBehalfOf: "carol@example.com",
    intent: "pay run",
  });
  const decision = await session.check("send_email", { to: "bank@example.com", body: SECRET_TEXT });
  const id = decision.approval!.id;
  await vi.waitFor(() => expect(slack.messages.size).toBe(2));
  const [ops, deciders] = [...slack.messages.values()]
    .sort((a, b) => a.channel.localeCompare(b.channel))
    .reverse();
  return { session, callId: decision.callId, id, ops: ops!, deciders: deciders! };
}

function send(request: { body: string; headers: Record<string, string> }, channel = "ops") {
  return fetch(`${server.url}/slack/${channel}/interactions`, {
    method: "POST",
    headers: request.headers,
    body: request.body,
  });
}

const headerOf = (blocks: Block[]) => (blocks[0]!.text as { text: string }).text;
const allText = (blocks: Block[]) => JSON.stringify(blocks);

describe("Slack approvals", () => {
  it("posts a Block Kit message with the call, the arguments as allowed, the scope choices and the buttons", async () => {
    const { id, ops, deciders } = await ask();
    expect(headerOf(ops.blocks)).toBe("Approval needed: send_email");
    // A channel without includeArgs shows the digest; the one that opted in shows the text.
    expect(allText(ops.blocks)).not.toContain("payroll");
    expect(allText(ops.blocks)).toMatch(/sha256:[0-9a-f]{64}/);
    expect(allText(deciders.blocks)).toContain("payroll run for March");
    const view = warden.approvals.queue.book.get(id)!;
    expect(allText(ops.blocks)).toContain(view.scope.session.replaceAll('"', '\\"'));
    const actions = ops.blocks.find((b) => b.type === "actions")!.elements as Record<string, unknown>[];
    expect(actions.map((e) => e.action_id)).toEqual(["warden_remember", "warden_approve", "warden_deny"]);
    expect(JSON.parse(String(actions[1]!.value))).toEqual({ id, digest: view.digest });
    await vi.waitFor(async () => {
      const notes = await warden.ledger.store.query({ kinds: ["approval.notify"] });
      expect(notes.map((r) => [r.data.webhook, r.data.status])).toEqual(
        expect.arrayContaining([
          ["slack:ops", "delivered"],
          ["slack:deciders", "delivered"],
        ]),
      );
    });
    expect(slack.calls.every((c) => !JSON.stringify(c.body).includes(BOT_TOKEN))).toBe(true);
  });

  it("records a click on Approve as the mapped approver, with the chosen scope, and replaces the message", async () => {
    const { id, deciders, ops } = await ask();
    const click = slack.clickPayload(deciders.ts, "U0ALICE01", "warden_approve", { remember: "session" });
    const res = await send(slack.signedRequest(click), "deciders");
    expect(res.status).toBe(200);
    await vi.waitFor(() => expect(warden.approvals.queue.book.get(id)!.status).toBe("approved"));
    expect(warden.approvals.queue.book.get(id)!.decisions[0]).toMatchObject({
      approver: "alice@sec.example.com",
      role: "approver",
      via: "slack:deciders",
      remember: { scope: "session" },
    });
    // Both messages show the outcome; the held text is gone from Slack with the decision.
    await vi.waitFor(() => {
      expect(headerOf(slack.messages.get(deciders.ts)!.blocks)).toBe("send_email: approved");
      expect(headerOf(slack.messages.get(ops.ts)!.blocks)).toBe("send_email: approved");
    });
    expect(allText(slack.messages.get(deciders.ts)!.blocks)).not.toContain("payroll");
    expect(allText(slack.messages.get(deciders.ts)!.blocks)).toContain("alice@sec.example.com");
  });

  it("refuses users who are not mapped, and the user the agent acts for, telling them why", async () => {
    const { id, ops } = await ask();
    await send(slack.signedRequest(slack.clickPayload(ops.ts, "U0MALLORY", "warden_approve")));
    await vi.waitFor(() => expect(slack.responses).toHaveLength(1));
    expect(slack.responses[0]).toMatchObject({
      response_type: "ephemeral",
      text: expect.stringContaining("U0MALLORY"),
    });
    await send(slack.signedRequest(slack.clickPayload(ops.ts, "U0CAROL01", "warden_approve")));
    await vi.waitFor(() => expect(slack.responses).toHaveLength(2));
    expect(slack.responses[1]).toMatchObject({ text: expect.stringContaining("FORBIDDEN") });
    // A user id naming a property every object has is not a mapped user either.
    await send(slack.signedRequest(slack.clickPayload(ops.ts, "constructor", "warden_approve")));
    await vi.waitFor(() => expect(slack.responses).toHaveLength(3));
    expect(slack.responses[2]).toMatchObject({ text: expect.stringContaining("is not listed") });
    expect(warden.approvals.queue.book.get(id)!.status).toBe("pending");
  });

  it("needs a reason to deny, then records the denial with it", async () => {
    const { id, ops } = await ask();
    await send(slack.signedRequest(slack.clickPayload(ops.ts, "U0ALICE01", "warden_deny")));
    await vi.waitFor(() => expect(slack.responses).toHaveLength(1));
    expect(slack.responses[0]!.text).toContain("needs a reason");
    expect(warden.approvals.queue.book.get(id)!.status).toBe("pending");
    await send(
      slack.signedRequest(
        slack.clickPayload(ops.ts, "U0ALICE01", "warden_deny", { reason: "wrong account" }),
      ),
    );
    await vi.waitFor(() => expect(warden.approvals.queue.book.get(id)!.status).toBe("denied"));
    expect(warden.approvals.queue.book.get(id)!.decisions[0]!.reason).toBe("wrong account");
    await vi.waitFor(() => expect(headerOf(slack.messages.get(ops.ts)!.blocks)).toBe("send_email: denied"));
  });

  it("refuses a bad signature, another secret, an old or future timestamp and a replay, deciding nothing", async () => {
    const { id, ops } = await ask();
    const click = slack.clickPayload(ops.ts, "U0ALICE01", "warden_approve");
    const good = slack.signedRequest(click);
    const tampered = { ...good, body: good.body.replace("U0ALICE01", "U0ALICE02") };
    expect((await send(tampered)).status).toBe(401);
    expect((await send(slack.signedRequest(click, undefined, "another-secret"))).status).toBe(401);
    const now = Math.floor(Date.now() / 1000);
    expect((await send(slack.signedRequest(click, now - 301))).status).toBe(401);
    expect((await send(slack.signedRequest(click, now + 301))).status).toBe(401);
    expect(
      (await send({ body: good.body, headers: { "content-type": good.headers["content-type"] } })).status,
    ).toBe(401);
    expect(warden.approvals.queue.book.get(id)!.status).toBe("pending");
    expect((await send(good)).status).toBe(200);
    expect((await send(good)).status).toBe(409);
    await vi.waitFor(() => expect(warden.approvals.queue.book.get(id)!.status).toBe("approved"));
    expect(warden.approvals.queue.book.get(id)!.decisions).toHaveLength(1);
    expect((await send(good, "nosuch")).status).toBe(404);
  });

  it("updates the message when the approval is decided elsewhere (the API)", async () => {
    const { id, ops } = await ask();
    const token = (await createToken(warden.ledger.store, { role: "approver", name: "bob@sec.example.com" }))
      .token;
    const decided = await api("POST", `/v1/approvals/${id}/decision`, token, {
      decision: "deny",
      reason: "no",
    });
    expect(decided.status).toBe(200);
    await vi.waitFor(() => expect(headerOf(slack.messages.get(ops.ts)!.blocks)).toBe("send_email: denied"));
  });

  it("updates a message posted before a restart when the approval is decided after it", async () => {
    const { id, ops, deciders } = await ask();
    const db = (warden.ledger.store as { path?: string }).path!;
    await server.close();
    await warden.close();
    warden = await Warden.open({
      policy: policy(slack.apiUrl),
      db,
      env: { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET },
    });
    onCleanup(() => warden.close());
    server = await startServer(warden, { host: "127.0.0.1", port: 0 });
    const token = (await createToken(warden.ledger.store, { role: "approver", name: "bob@sec.example.com" }))
      .token;
    expect((await api("POST", `/v1/approvals/${id}/decision`, token, { decision: "approve" })).status).toBe(
      200,
    );
    await vi.waitFor(() => {
      expect(headerOf(slack.messages.get(ops.ts)!.blocks)).toBe("send_email: approved");
      expect(headerOf(slack.messages.get(deciders.ts)!.blocks)).toBe("send_email: approved");
    });
    expect(allText(slack.messages.get(deciders.ts)!.blocks)).not.toContain("payroll");
  });

  it("retries a post Slack failed with a 5xx, and records each attempt", async () => {
    slack.failNextPost = 503;
    const session = await warden.session({ agent: "mail-bot", onBehalfOf: "carol@example.com", intent: "x" });
    await session.check("send_email", { to: "a@example.com", body: "hi" });
    await vi.waitFor(() => expect(slack.messages.size).toBe(2), { timeout: 5_000 });
    await vi.waitFor(async () => {
      const notes = await warden.ledger.store.query({ kinds: ["approval.notify"] });
      expect(notes.some((r) => r.data.status === "failed" && r.data.error === "http_503")).toBe(true);
      expect(notes.filter((r) => r.data.status === "delivered")).toHaveLength(2);
    });
  });

  it("waits the Retry-After of Slack's rate limit before posting again", async () => {
    slack.failNextPost = { status: 429, retryAfter: "1" };
    const session = await warden.session({ agent: "mail-bot", onBehalfOf: "carol@example.com", intent: "x" });
    await session.check("send_email", { to: "a@example.com", body: "hi" });
    await vi.waitFor(() => expect(slack.messages.size).toBe(2), { timeout: 5_000 });
    const posts = slack.calls.filter((c) => c.method === "chat.postMessage").map((c) => c.at);
    // Two channels: one post refused, then the other channel's and the retry.
    expect(posts).toHaveLength(3);
    expect(Math.max(...posts) - Math.min(...posts)).toBeGreaterThanOrEqual(950);
  });
});

describe("Slack message text", () => {
  it("escapes what the agent wrote, so it cannot mention a channel or hide a link", async () => {
    const session = await warden.session({
      agent: "mail-bot",
      onBehalfOf: "carol@example.com",
      intent: "<!channel> see <https://evil.example|the docs> & more",
    });
    await session.check("send_email", { to: "<@U0ALICE01>", body: "x" }, { rationale: "<!here> now" });
    await vi.waitFor(() => expect(slack.messages.size).toBe(2));
    for (const message of slack.messages.values()) {
      const text = allText(message.blocks);
      expect(text).not.toMatch(/<!channel>|<!here>|<@U0ALICE01>|<https:/);
      expect(text).toContain("&lt;!channel&gt;");
      expect(text).toContain("&amp; more");
    }
  });

  it("shows invisible and direction-changing characters as code points, the arguments as JSON escapes", async () => {
    const session = await warden.session({
      agent: "mail-bot",
      onBehalfOf: "carol@example.com",
      intent: "pay\u200Brun",
    });
    const to = "bob@example.com\u202Emoc.live";
    const site = "p\u0430ypal.com";
    await session.check(
      "send_email",
      { to, body: "x", site, city: "\u041C\u043E\u0441\u043A\u0432\u0430" },
      { rationale: "the \u2066usual\u2069 one at p\u0430ypal" },
    );
    await vi.waitFor(() => expect(slack.messages.size).toBe(2));
    for (const message of slack.messages.values()) {
      const text = allText(message.blocks);
      expect(text).not.toMatch(/[\u200B\u202E\u2066\u2069]/);
      expect(text).toContain("pay[U+200B]run");
      expect(text).toContain("the [U+2066]usual[U+2069] one at p[U+0430]ypal");
      // A Cyrillic letter in a Latin word is shown as its escape; a word all in Cyrillic is not.
      expect(text).not.toContain("\u0430ypal");
      expect(text).toContain("\u041C\u043E\u0441\u043A\u0432\u0430");
      // Still the exact arguments: the code block's JSON reads back as them.
      const args = /```([^`]*)```/.exec(text)![1]!;
      expect(JSON.parse(JSON.parse(`"${args}"`))).toMatchObject({ to, site });
      expect(message.text).toContain("carol@example.com");
    }
  });
});

describe("verifySlackRequest", () => {
  const sign = (ts: number, body: string, secret = SIGNING_SECRET) =>
    `v0=${createHmac("sha256", secret).update(`v0:${ts}:${body}`).digest("hex")}`;
  const at = new Date("2026-01-01T00:00:00Z");
  const ts = Math.floor(at.getTime() / 1000);

  it("accepts Slack's scheme within 5 minutes either side, once", () => {
    const seen = new SeenIds();
    for (const t of [ts - 300, ts + 300]) {
      verifySlackRequest(
        SIGNING_SECRET,
        { signature: sign(t, "a=1"), timestamp: String(t) },
        "a=1",
        seen,
        at,
      );
    }
    expect(() =>
      verifySlackRequest(
        SIGNING_SECRET,
        { signature: sign(ts - 300, "a=1"), timestamp: String(ts - 300) },
        "a=1",
        seen,
        at,
      ),
    ).toThrow(expect.objectContaining({ code: "WEBHOOK_REPLAYED" }));
  });

  it("refuses malformed headers and other spellings of the signature", () => {
    const seen = new SeenIds();
    const check = (signature: string | undefined, timestamp: string | undefined) => () =>
      verifySlackRequest(SIGNING_SECRET, { signature, timestamp }, "a=1", seen, at);
    const invalid = expect.objectContaining({ code: "WEBHOOK_INVALID" });
    expect(check(undefined, String(ts))).toThrow(invalid);
    expect(check(sign(ts, "a=1"), undefined)).toThrow(invalid);
    expect(check(sign(ts, "a=1"), "12ab")).toThrow(invalid);
    expect(check(sign(ts, "a=1").toUpperCase(), String(ts))).toThrow(invalid);
    expect(check(sign(ts, "a=1").replace("v0=", "v1="), String(ts))).toThrow(invalid);
    expect(check(`${sign(ts, "a=1")}00`, String(ts))).toThrow(invalid);
    expect(seen.size).toBe(0);
  });
});
