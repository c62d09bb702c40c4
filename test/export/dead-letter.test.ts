// Dead letters when the ledger cannot take the dead-letter alert: the exporter waits and tries again,
// it neither moves past the event unrecorded nor spins against the receiver.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Warden } from "../../src/index.js";
import { type LedgerStore, MemoryStore } from "../../src/ledger/index.js";
import { onCleanup } from "../helpers.js";
import { POLICY, runCalls, waitFor } from "./helpers.js";
import { WebhookReceiver } from "./receivers/webhook.js";

const SECRET = `whsec_${randomBytes(24).toString("base64")}`;

/** A store whose appends fail while `failing` (a full disk, a lost write lock): reads still work. */
class FailingAppends extends MemoryStore {
  failing = false;
  override append(...args: Parameters<LedgerStore["append"]>) {
    if (this.failing) return Promise.reject(new Error("disk full"));
    return super.append(...args);
  }
}

describe("dead letters", () => {
  it("backs off while the dead-letter alert cannot be written, then writes it and moves on", async () => {
    const rx = await new WebhookReceiver(SECRET).start();
    onCleanup(() => rx.stop());
    let refusals = 0;
    rx.status = (d) => {
      if (d.body.data.type !== "session.end") return 204;
      refusals++;
      return 422;
    };
    const store = new FailingAppends();
    const retry = { attempts: 1000, minDelay: "50ms", maxDelay: "100ms" };
    const warden = await Warden.open({
      policy: { ...POLICY, export: { retry, sinks: [{ name: "hooks", type: "webhook", url: rx.url }] } },
      db: store,
      export: { env: { WARDEN_WEBHOOK_SECRET: SECRET }, pollMs: 20 },
    });
    onCleanup(() => warden.close());
    await runCalls(warden, 3);
    // session.end is the last record: the ledger fails right after it, before the exporter reaches it.
    store.failing = true;
    await waitFor(() => refusals > 0);
    await new Promise((r) => setTimeout(r, 1_000));
    // A refusal per back-off (50–100 ms) at most, not one per pass of a loop that never waits.
    expect(refusals).toBeLessThan(25);
    expect(await store.query({ kinds: ["alert"] })).toEqual([]);
    store.failing = false;
    await waitFor(async () => (await store.query({ kinds: ["alert"] })).length === 1);
    const [alert] = await store.query({ kinds: ["alert"] });
    expect(alert?.data).toMatchObject({ type: "export.dead_letter", sink: "hooks" });
    await waitFor(() => rx.deliveries.some((d) => d.body.data.type === "alert"));
    expect(warden.exporter!.stats().get("hooks")!.deadLettered).toBe(1);
  });
});
