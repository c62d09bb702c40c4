// A receiver that fails some requests of a batch: the events it took are not sent again, and the
// batch gets through even when no attempt at the whole of it would ever succeed.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
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
    // Sent again: what was in flight beside a failure (8 requests at a time), not the whole batch.
    expect(rx.deliveries.length).toBeLessThan(ids.length * 5);
  });
});
