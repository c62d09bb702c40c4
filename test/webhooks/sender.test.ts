// The one signed-webhook sender: signatures a Standard Webhooks receiver accepts, which answers are
// retried, the back-off and its stop, error codes that quote nothing, and one secret rule for every user.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ApprovalNotifier } from "../../src/approvals/notify.js";
import { WebhookSink } from "../../src/export/index.js";
import { createAlertSender } from "../../src/sandbox/index.js";
import {
  type Attempt,
  MIN_SECRET_BYTES,
  retryableStatus,
  SignedWebhook,
  webhookSigner,
} from "../../src/webhooks/index.js";
import { WebhookReceiver } from "../export/receivers/webhook.js";
import { onCleanup, openWarden } from "../helpers.js";

const SECRET = `whsec_${randomBytes(24).toString("base64")}`;
const FAST = { minDelayMs: 1, maxDelayMs: 2, timeoutMs: 2_000 };

async function receiver(secret = SECRET): Promise<WebhookReceiver> {
  const r = await new WebhookReceiver(secret).start();
  onCleanup(() => r.stop());
  return r;
}

const hook = (url: string, secret = SECRET) => new SignedWebhook({ url, secret }, (why) => new Error(why));

describe("SignedWebhook", () => {
  it("signs so that a Standard Webhooks receiver verifies it, with the caller's id and headers", async () => {
    const rx = await receiver();
    const target = new SignedWebhook({ url: rx.url, secret: SECRET, headers: { "x-tenant": "acme" } }, Error);
    const sent = await target.post("msg_1", JSON.stringify({ type: "t", data: { id: "e1", type: "x" } }), {
      timeoutMs: 2_000,
    });
    expect(sent).toEqual({
      delivered: true,
      retryable: false,
      httpStatus: 204,
      error: null,
      retryAfterMs: null,
    });
    expect(rx.deliveries.map((d) => d.id)).toEqual(["msg_1"]);
    const other = await receiver(`whsec_${randomBytes(24).toString("base64")}`);
    expect(await hook(other.url).post("msg_2", "{}", { timeoutMs: 2_000 })).toMatchObject({
      delivered: false,
      retryable: false,
      httpStatus: 401,
    });
    expect(other.rejected).toHaveLength(1);
  });

  it("retries 5xx, 408, 429 and 3xx with the same webhook-id; gives up at once on another 4xx", async () => {
    const rx = await receiver();
    const answers = [503, 408, 429, 307, 204];
    rx.status = () => answers.shift() ?? 204;
    const attempts: [number, Attempt, boolean][] = [];
    const delivery = await hook(rx.url).deliver("msg_same", "{}", {
      ...FAST,
      attempts: 6,
      onAttempt: (n, r, last) => void attempts.push([n, r, last]),
    });
    expect(delivery).toEqual({
      status: "delivered",
      attempts: 5,
      httpStatus: 204,
      error: null,
      stopped: false,
    });
    expect(attempts.map(([, r]) => r.error)).toEqual(["http_503", "http_408", "http_429", "http_307", null]);
    expect(attempts.map(([, , last]) => last)).toEqual([false, false, false, false, true]);
    expect(rx.deliveries.map((d) => d.id)).toEqual(["msg_same"]);

    rx.status = () => 422;
    const refused = await hook(rx.url).deliver("msg_r", "{}", { ...FAST, attempts: 6 });
    expect(refused).toEqual({
      status: "gave_up",
      attempts: 1,
      httpStatus: 422,
      error: "http_422",
      stopped: false,
    });
    rx.status = () => 500;
    const down = await hook(rx.url).deliver("msg_d", "{}", { ...FAST, attempts: 3 });
    expect(down).toMatchObject({ status: "gave_up", attempts: 3, httpStatus: 500 });
  });

  it("reads the wait a refusal's Retry-After asks for, and ignores one that is not RFC 9110's", async () => {
    const rx = await receiver();
    rx.status = () => 429;
    rx.retryAfter = () => "7";
    expect(await hook(rx.url).post("m", "{}", { timeoutMs: 2_000 })).toMatchObject({
      httpStatus: 429,
      retryable: true,
      retryAfterMs: 7000,
    });
    rx.retryAfter = () => "in a while";
    expect(await hook(rx.url).post("m", "{}", { timeoutMs: 2_000 })).toMatchObject({ retryAfterMs: null });
  });

  it("reports network failures and timeouts by code, never a message or the URL", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const refused = await hook(`http://127.0.0.1:${port}/?token=hunter`).post("m", "{}", {
      timeoutMs: 2_000,
    });
    expect(refused).toEqual({
      delivered: false,
      retryable: true,
      httpStatus: null,
      error: "ECONNREFUSED",
      retryAfterMs: null,
    });

    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    onCleanup(() => {
      silent.closeAllConnections();
      return new Promise<void>((r) => silent.close(() => r()));
    });
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
    expect(await hook(url).post("m", "{}", { timeoutMs: 50 })).toMatchObject({
      error: "timeout",
      retryable: true,
    });
    const abort = new AbortController();
    const cut = hook(url).post("m", "{}", { timeoutMs: 5_000, abort: abort.signal });
    abort.abort();
    expect(await cut).toMatchObject({ error: "aborted" });
  });

  it("stops: a stopped sender's attempt is its last; a stop during the back-off ends it, and says so", async () => {
    const rx = await receiver();
    rx.status = () => 503;
    const slow = { attempts: 5, minDelayMs: 60_000, maxDelayMs: 60_000, timeoutMs: 2_000 };
    const stopped = new AbortController();
    stopped.abort();
    expect(await hook(rx.url).deliver("m", "{}", { ...slow, stop: stopped.signal })).toEqual({
      status: "gave_up",
      attempts: 1,
      httpStatus: 503,
      error: "http_503",
      stopped: false,
    });
    const later = new AbortController();
    const waiting = hook(rx.url).deliver("m", "{}", {
      ...slow,
      stop: later.signal,
      onAttempt: () => later.abort(),
    });
    expect(await waiting).toMatchObject({ status: "gave_up", attempts: 1, stopped: true });
    expect(rx.deliveries).toEqual([]);
  });

  it("backs off within [cap/2, cap], the cap doubling per failure up to the maximum", async () => {
    const { backoffDelay } = await import("../../src/webhooks/index.js");
    const retry = { attempts: 10, minDelayMs: 100, maxDelayMs: 1_000 };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, r) => {
        const cap = Math.min(1_000, 100 * 2 ** (n - 1));
        const d = backoffDelay(n, retry, () => r);
        return d >= cap / 2 && d <= cap;
      }),
    );
  });
});

describe("one secret rule", () => {
  it("takes strict base64 of at least 16 bytes, with or without whsec_, and nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), fc.boolean(), (bytes, prefixed) => {
        const b64 = Buffer.from(bytes).toString("base64");
        const ok = webhookSigner(prefixed ? `whsec_${b64}` : b64) !== null;
        return ok === bytes.length >= MIN_SECRET_BYTES;
      }),
    );
    for (const bad of [
      "whsec_!!!not-base64-at-all-here",
      "whsec_ MfKQ9r8GKYqrTwjUPD8ILPZIo2La",
      "",
      "whsec_",
    ])
      expect(webhookSigner(bad)).toBeNull();
  });

  it("is the same for the export sink, approval notifications and sandbox alerts: a 3-byte secret is refused by all", () => {
    const weak = "whsec_AAAA"; // 3 bytes
    const url = "https://hooks.example.com/warden";
    const refusals = [
      () => new WebhookSink({ name: "hooks", url, secret: weak }),
      () => new ApprovalNotifier({ webhooks: [{ name: "bot", url, secret: weak }], record: () => undefined }),
      () => createAlertSender({ webhook: { url, secret: weak } }),
    ].map((make) => {
      try {
        make();
        return null;
      } catch (err) {
        return err as { code: string; message: string };
      }
    });
    expect(refusals.map((e) => e?.code)).toEqual([
      "EXPORT_CONFIG_INVALID",
      "INVALID_REQUEST",
      "SANDBOX_INVALID",
    ]);
    for (const e of refusals) expect(e?.message).not.toContain("AAAA");
    expect(() => new WebhookSink({ name: "hooks", url, secret: SECRET })).not.toThrow();
    expect(
      () =>
        new ApprovalNotifier({ webhooks: [{ name: "bot", url, secret: SECRET }], record: () => undefined }),
    ).not.toThrow();
    expect(() => createAlertSender({ webhook: { url, secret: SECRET } })).not.toThrow();
  });

  it("holds for the secrets chat-ops bots sign decisions with: a weak one stops the start", async () => {
    const policy = {
      default: "allow",
      approvals: { integrations: [{ name: "chatops", secretEnv: "CHATOPS_SECRET" }] },
    };
    const err = await openWarden(policy, { env: { CHATOPS_SECRET: "whsec_AAAA" } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "APPROVAL_CONFIG_INVALID" });
    expect(String((err as Error).message)).not.toContain("AAAA");
    await openWarden(policy, { env: { CHATOPS_SECRET: SECRET } });
  });

  it("leaves 2xx delivered, other 4xx (but 408 and 429) refused for good, every other status retryable", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        (status) =>
          retryableStatus(status) === !(status >= 400 && status < 500 && status !== 408 && status !== 429),
      ),
    );
  });
});
