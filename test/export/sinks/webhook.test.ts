// Signed webhook sink against a receiver that verifies Standard Webhooks signatures.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { WebhookSink } from "../../../src/export/index.js";
import { onCleanup, openWarden } from "../../helpers.js";
import { alertEvent, expectedIds, POLICY, runCalls, waitFor } from "../helpers.js";
import { WebhookReceiver } from "../receivers/webhook.js";

const SECRET = `whsec_${randomBytes(24).toString("base64")}`;

async function receiver(secret = SECRET): Promise<WebhookReceiver> {
  const r = await new WebhookReceiver(secret).start();
  onCleanup(() => r.stop());
  return r;
}

describe("webhook sink", () => {
  it("signs every event; webhook-id is the stable event id; retries 5xx until it gets through", async () => {
    const rx = await receiver();
    let outage = true;
    rx.status = () => (outage ? 503 : 204);
    const sink = { name: "hooks", type: "webhook", url: rx.url, headers: { "x-tenant": "acme" } };
    const retry = { attempts: 1000, minDelay: "5ms", maxDelay: "20ms" };
    const { warden } = await openWarden(
      { ...POLICY, export: { retry, sinks: [sink] } },
      { export: { env: { WARDEN_WEBHOOK_SECRET: SECRET }, pollMs: 50 } },
    );
    await runCalls(warden, 10);
    await waitFor(() => warden.exporter!.stats().get("hooks")!.failures > 2);
    outage = false;
    const ids = await expectedIds(warden);
    await waitFor(() => ids.every((id) => rx.deliveries.some((d) => d.id === id)));
    expect(rx.rejected).toEqual([]);
    for (const d of rx.deliveries) {
      expect(d.body.data.id).toBe(d.id);
      expect(d.body.type).toBe(`warden.${d.body.data.type}`);
    }
  });

  it("a receiver with another secret rejects the signature; 4xx refusals are dead-lettered at once", async () => {
    const rx = await receiver(`whsec_${randomBytes(24).toString("base64")}`);
    const sink = new WebhookSink({ name: "hooks", url: rx.url, secret: SECRET });
    const event = alertEvent();
    const err = await sink.send([event]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "EXPORT_SINK_FAILED", permanent: true, details: { status: 401 } });
    expect(String(err)).not.toContain(SECRET.slice(6));
    expect(rx.rejected).toHaveLength(1);

    const ok = await receiver();
    ok.status = (d) => (d.body.data.type === "session.start" ? 422 : 204);
    const { warden } = await openWarden(
      { ...POLICY, export: { sinks: [{ name: "hooks", type: "webhook", url: ok.url }] } },
      { export: { env: { WARDEN_WEBHOOK_SECRET: SECRET }, pollMs: 50 } },
    );
    await runCalls(warden, 2);
    await waitFor(async () => (await warden.ledger.store.query({ kinds: ["alert"] })).length === 1);
    const [alert] = await warden.ledger.store.query({ kinds: ["alert"] });
    expect(alert?.data).toMatchObject({ type: "export.dead_letter", sink: "hooks" });
    await waitFor(() => ok.deliveries.some((d) => d.body.data.type === "alert"));
  });

  it.each([
    ["delay-seconds, on a 429", 429, () => "1"],
    // IMF-fixdate has whole seconds: the next second but one is 1 to 2 s away.
    ["an HTTP-date, on a 503", 503, () => new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000).toUTCString()],
  ])(
    "sends an event again only once the Retry-After its answer named (%s) has passed",
    async (_, status, after) => {
      const rx = await receiver();
      let throttled: string | null = null;
      rx.status = (d) => {
        throttled ??= d.id;
        return d.id === throttled && rx.requests.filter((r) => r.id === d.id).length === 1 ? status : 204;
      };
      rx.retryAfter = after;
      const retry = { minDelay: "10ms", maxDelay: "5s" };
      const { warden } = await openWarden(
        { ...POLICY, export: { retry, sinks: [{ name: "hooks", type: "webhook", url: rx.url }] } },
        { export: { env: { WARDEN_WEBHOOK_SECRET: SECRET }, pollMs: 50 } },
      );
      await runCalls(warden, 1);
      await waitFor(() => rx.deliveries.some((d) => d.id === throttled));
      const [first, second] = rx.requests.filter((r) => r.id === throttled);
      // The back-off alone would have sent it again within 10 ms.
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    },
  );

  it("passes on the longest Retry-After of a batch's answers, not only the first failure's", async () => {
    const rx = await receiver();
    const [a, b] = [alertEvent(), { ...alertEvent(), id: "main:2", seq: 2 }];
    // a fails first, naming no wait; b is throttled a moment later.
    rx.status = (d) => (d.id === a.id ? 503 : 429);
    rx.retryAfter = (d) => (d.id === b.id ? "2" : undefined);
    rx.answerAfterMs = (d) => (d.id === b.id ? 200 : 0);
    const sink = new WebhookSink({ name: "hooks", url: rx.url, secret: SECRET });
    const err = await sink.send([a, b]).catch((e: unknown) => e);
    expect(err).toMatchObject({ permanent: false, retryAfterMs: 2000, details: { status: 503 } });
  });

  it("refuses to start without the secret, naming the variable and no value", async () => {
    const err = await openWarden(
      {
        ...POLICY,
        export: {
          sinks: [
            { name: "hooks", type: "webhook", url: "http://127.0.0.1:1/", secretEnv: "MY_HOOK_SECRET" },
          ],
        },
      },
      { export: { env: {} } },
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "EXPORT_CONFIG_INVALID" });
    expect(String(err)).toContain("MY_HOOK_SECRET");
  });
});
