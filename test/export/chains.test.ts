// Several chains in one ledger (instances sharing a database): each gets its turn, however busy another is.
import { randomBytes } from "node:crypto";
import { describe, it } from "vitest";
import { Warden } from "../../src/index.js";
import { MemoryStore } from "../../src/ledger/index.js";
import { onCleanup } from "../helpers.js";
import { POLICY, runCalls, waitFor } from "./helpers.js";
import { WebhookReceiver } from "./receivers/webhook.js";

const SECRET = `whsec_${randomBytes(24).toString("base64")}`;

describe("exporter over several chains", () => {
  it("delivers a quiet chain while another chain always has records waiting", async () => {
    const rx = await new WebhookReceiver(SECRET).start();
    onCleanup(() => rx.stop());
    const store = new MemoryStore();
    const sink = { name: "hooks", type: "webhook", url: rx.url, batchSize: 2 };
    // The busy instance exports; the quiet one only writes its own chain beside it (as two
    // instances on one PostgreSQL database do).
    const busy = await Warden.open({
      policy: { ...POLICY, export: { sinks: [sink] } },
      db: store,
      chain: "busy",
      export: { env: { WARDEN_WEBHOOK_SECRET: SECRET }, pollMs: 20 },
    });
    const quiet = await Warden.open({ policy: POLICY, db: store, chain: "quiet" });
    let running = true;
    const load = (async () => {
      while (running) await runCalls(busy, 20);
    })();
    onCleanup(async () => {
      running = false;
      await load;
      // Both close the store they share: the second finds it closed.
      await quiet.close();
      await busy.close().catch(() => undefined);
    });
    await waitFor(() => rx.deliveries.length > 10);
    await runCalls(quiet, 2);
    const want = (await store.readChain("quiet", 1, 1000)).map((r) => `quiet:${r.seq}`);
    // The busy chain outpaces the sink for the whole wait: the quiet chain must not wait for it to drain.
    await waitFor(() => want.every((id) => rx.deliveries.some((d) => d.id === id)), 5_000);
  });
});
