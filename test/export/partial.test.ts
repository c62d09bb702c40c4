// A receiver that fails some requests of a batch: the events it took are not sent again, and the
// batch gets through even when no attempt at the whole of it would ever succeed, nor any attempt
// at the same events again.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Exporter, type Sink, SinkError } from "../../src/export/index.js";
import { Warden } from "../../src/index.js";
import { onCleanup, openWarden } from "../helpers.js";
import { expectedIds, POLICY, runCalls, waitFor } from "./helpers.js";
import { WebhookReceiver } from "./receivers/webhook.js";

const SECRET = `whsec_${randomBytes(24).toString("base64")}`;

describe("partial delivery", () => {
  it("webhook: one request in five failing still delivers every event, the rest of the batch not sent again", async () => {
    const rx = await new WebhookReceiver(SECRET).start();
    onCleanup(() => rx.stop());
    let n = 0;
    // One backend in five of a load balancer is broken: a batch of 50 requests never goes through whole.
    rx.status = () => (++n % 5 === 0 ? 503 : 204);
    const first = await openWarden(POLICY);
    await runCalls(first.warden, 40);
    await first.warden.close();
    const sink = { name: "hooks", type: "webhook", url: rx.url, batchSize: 50 };
    const warden = await Warden.open({
      policy: { ...POLICY, export: { retry: { minDelay: "10ms", maxDelay: "20ms" }, sinks: [sink] } },
      db: first.db,
      export: { env: { WARDEN_WEBHOOK_SECRET: SECRET }, pollMs: 50 },
    });
    onCleanup(() => warden.close());
    const ids = await expectedIds(warden);
    await waitFor(() => ids.every((id) => rx.deliveries.some((d) => d.id === id)), 10_000);
    // A retry sends only what the receiver did not take: each record arrives once.
    const records = rx.deliveries.filter((d) => ids.includes(d.id));
    expect(records.length).toBe(ids.length);
  });

  it("a receiver that fails the first request of every batch of several still gets every event", async () => {
    // One broken backend among a round-robin balancer's n, and batches of n: sent whole again, a batch
    // would put the same event on the broken backend every time.
    const taken: string[] = [];
    let attempts = 0;
    const sink: Sink = {
      name: "balanced",
      async send(events) {
        attempts++;
        if (events.length === 1) {
          taken.push(events[0]!.id);
          return;
        }
        taken.push(...events.slice(1).map((e) => e.id));
        const err = new SinkError("balanced", `event ${events[0]!.id}: HTTP 503`);
        err.accepted = new Set(events.slice(1).map((_, i) => i + 1));
        throw err;
      },
      async close() {},
    };
    const { warden } = await openWarden(POLICY);
    await runCalls(warden, 20);
    const ids = await expectedIds(warden);
    const exporter = new Exporter(warden.ledger, [
      { sink, batchSize: 8, retry: { minDelayMs: 1, maxDelayMs: 5 } },
    ]);
    onCleanup(() => exporter.close());
    await waitFor(() => ids.every((id) => taken.includes(id)), 10_000);
    // Each batch: one try of the whole, one of the event refused; nothing taken twice.
    expect(new Set(taken).size).toBe(taken.length);
    expect(attempts).toBeLessThanOrEqual(2 * Math.ceil(ids.length / 8) + 2);
  });
});
