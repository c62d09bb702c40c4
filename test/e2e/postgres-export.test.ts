// Two instances on one PostgreSQL database, each exporting to the same sink under a flaky receiver:
// every record of both chains arrives, and an event seen twice has the same id and body.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Warden } from "../../src/index.js";
import { generateKeyPair } from "../../src/ledger/index.js";
import { POLICY, runCalls, waitFor } from "../export/helpers.js";
import { WebhookReceiver } from "../export/receivers/webhook.js";
import { onCleanup, tempDir } from "../helpers.js";
import { afterTest, freshSchema, pgAvailable } from "../ledger/pg.js";

const SECRET = `whsec_${randomBytes(24).toString("base64")}`;

describe.skipIf(!pgAvailable)("export from several instances on one PostgreSQL", () => {
  it("delivers both chains whole, through receiver failures, duplicates only under one id", async () => {
    const rx = await new WebhookReceiver(SECRET).start();
    onCleanup(() => rx.stop());
    let n = 0;
    // Every seventh request fails: batches are retried, some events sent twice.
    rx.status = () => (++n % 7 === 0 ? 503 : 204);
    const { url } = freshSchema();
    const keys = await generateKeyPair(tempDir());
    const sink = { name: "hooks", type: "webhook", url: rx.url, batchSize: 10 };
    const wardens: Warden[] = [];
    for (const exporting of [true, true, false]) {
      wardens.push(
        await Warden.open({
          policy: {
            ...POLICY,
            ...(exporting
              ? { export: { retry: { minDelay: "10ms", maxDelay: "50ms" }, sinks: [sink] } }
              : {}),
          },
          db: url,
          signingKey: keys.paths.privateKey,
          checkpointEvery: 20,
          postgres: { poolSize: 4 },
          ...(exporting ? { export: { env: { WARDEN_WEBHOOK_SECRET: SECRET }, pollMs: 50 } } : {}),
        }),
      );
    }
    afterTest(async () => {
      for (const w of wardens) await w.close().catch(() => undefined);
    });
    // The third instance exports nothing: its chain reaches the receiver through the other two.
    await Promise.all(wardens.map((w) => runCalls(w, 30)));
    const store = wardens[0]!.ledger.store;
    const want: string[] = [];
    for (const chain of await store.chains()) {
      for (const r of await store.readChain(chain, 1, 100_000)) want.push(`${chain}:${r.seq}`);
      for (const c of await store.checkpoints(chain)) want.push(`${chain}:checkpoint:${c.seq}`);
    }
    expect(new Set(want.map((id) => id.split(":")[0])).size).toBe(3);
    await waitFor(() => {
      const got = new Set(rx.deliveries.map((d) => d.id));
      return want.every((id) => got.has(id));
    }, 30_000);
    const bodies = new Map<string, string>();
    for (const d of rx.deliveries) {
      const body = JSON.stringify(d.body.data);
      expect(bodies.get(d.id) ?? body).toBe(body);
      bodies.set(d.id, body);
    }
    expect(rx.rejected).toEqual([]);
  }, 60_000);
});
