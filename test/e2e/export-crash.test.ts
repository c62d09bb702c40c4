// SIGKILL while the exporter delivers: the restarted exporter resumes at its durable cursor, with no gap,
// and an event the receiver sees twice has the same id (and body) both times.
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Warden } from "../../src/index.js";
import { waitFor } from "../export/helpers.js";
import { WebhookReceiver } from "../export/receivers/webhook.js";
import { onCleanup, tempDir } from "../helpers.js";

const SECRET = `whsec_${randomBytes(24).toString("base64")}`;

describe("export crash safety", () => {
  it("resumes after SIGKILL mid-delivery without a gap; repeats keep their id and body", async () => {
    const rx = await new WebhookReceiver(SECRET).start();
    onCleanup(() => rx.stop());
    const db = join(tempDir(), "ledger.db");
    const child = fork(join(import.meta.dirname, "fixtures/export-child.mjs"), [db, rx.url, SECRET], {
      stdio: "ignore",
    });
    await new Promise<void>((resolve, reject) => {
      child.once("message", () => resolve());
      child.once("exit", (code) => reject(new Error(`child exited early with ${code}`)));
    });
    await waitFor(() => rx.deliveries.length > 300, 20_000);
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const beforeRestart = rx.deliveries.length;

    const warden = await Warden.open({
      policy: {
        allowed_tools: ["write_row"],
        export: { sinks: [{ name: "hooks", type: "webhook", url: rx.url, batchSize: 20 }] },
      },
      db,
      export: { env: { WARDEN_WEBHOOK_SECRET: SECRET }, pollMs: 20 },
    });
    onCleanup(() => warden.close());
    const records = await warden.ledger.store.readChain("main", 1, 1_000_000);
    const checkpoints = await warden.ledger.store.checkpoints("main");
    const want = [
      ...records.map((r) => `main:${r.seq}`),
      ...checkpoints.map((c) => `main:checkpoint:${c.seq}`),
    ];
    await waitFor(() => {
      const got = new Set(rx.deliveries.map((d) => d.id));
      return want.every((id) => got.has(id));
    }, 30_000);
    expect(rx.deliveries.length).toBeGreaterThan(beforeRestart);
    const bodies = new Map<string, string>();
    for (const d of rx.deliveries) {
      const body = JSON.stringify(d.body.data);
      expect(bodies.get(d.id) ?? body).toBe(body);
      bodies.set(d.id, body);
    }
    // Nothing the receiver got is unknown to the ledger.
    expect([...bodies.keys()].filter((id) => !want.includes(id))).toEqual([]);
  }, 60_000);
});
