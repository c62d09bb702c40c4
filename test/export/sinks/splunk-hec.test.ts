// Splunk HEC sink against a local HEC receiver: delivery, busy retries (nothing lost past the attempts), refused data dead-lettered, outage + restart.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Warden } from "../../../src/index.js";
import { onCleanup, openWarden, tempDir } from "../../helpers.js";
import { expectBigCallDeadLettered, expectedIds, POLICY, runCalls, waitFor } from "../helpers.js";
import { HecReceiver } from "../receivers/hec.js";

const TOKEN = "11111111-2222-3333-4444-555555555555";
const ENV = { SPLUNK_HEC_TOKEN: TOKEN };

async function receiver(): Promise<HecReceiver> {
  const r = await new HecReceiver(TOKEN).start();
  onCleanup(() => r.stop());
  return r;
}

function policy(url: string, extra: Record<string, unknown> = {}) {
  return {
    ...POLICY,
    export: {
      retry: { attempts: 3, minDelay: "10ms", maxDelay: "40ms" },
      sinks: [{ name: "splunk", type: "splunk-hec", url, index: "warden", batchSize: 50, ...extra }],
    },
  };
}

describe("splunk-hec sink", () => {
  it("delivers every event with the token, HEC envelope and a stable event id", async () => {
    const hec = await receiver();
    const { warden } = await openWarden(policy(hec.url), { export: { env: ENV, pollMs: 50 } });
    await runCalls(warden, 30);
    const ids = await expectedIds(warden);
    await waitFor(() => ids.every((id) => hec.ids().includes(id)));
    const intent = hec.events.find((e) => e.event.type === "call.intent");
    expect(intent).toMatchObject({ source: "warden", sourcetype: "warden:ledger", index: "warden" });
    expect(intent?.event.id).toBe(intent?.fields.event_id);
    expect(typeof intent?.time).toBe("number");
  });

  it("retries a busy collector (503, code 9) without ever writing the token anywhere", async () => {
    const hec = await receiver();
    hec.mode = "busy";
    const { warden } = await openWarden(
      policy(hec.url, { retry: { attempts: 1000, minDelay: "5ms", maxDelay: "20ms" } }),
      {
        export: { env: ENV, pollMs: 50 },
      },
    );
    await runCalls(warden, 5);
    await waitFor(() => hec.requests > 3);
    expect(hec.events).toHaveLength(0);
    hec.mode = "ok";
    const ids = await expectedIds(warden);
    await waitFor(() => ids.every((id) => hec.ids().includes(id)));
    expect(warden.exporter?.stats().get("splunk")?.failures).toBeGreaterThan(0);
    const alerts = await warden.ledger.store.query({ kinds: ["alert"] });
    expect(alerts).toHaveLength(0);
    expect(JSON.stringify(await warden.ledger.store.query({}))).not.toContain(TOKEN);
  });

  it("sends a batch again only once the Retry-After of a busy collector's answer has passed", async () => {
    const hec = await receiver();
    hec.busyNext = 1;
    hec.retryAfter = "1";
    const { warden } = await openWarden(policy(hec.url, { retry: { minDelay: "10ms", maxDelay: "5s" } }), {
      export: { env: ENV, pollMs: 50 },
    });
    await runCalls(warden, 1);
    const ids = await expectedIds(warden);
    await waitFor(() => ids.every((id) => hec.ids().includes(id)));
    // The back-off alone would have sent it again within 10 ms.
    expect(hec.eventPosts[1]! - hec.eventPosts[0]!).toBeGreaterThanOrEqual(950);
  });

  it("dead-letters an event the collector refuses (400, code 6) and delivers the rest of its batch", async () => {
    const hec = await receiver();
    hec.refuse = (e) => e.event.type === "session.end";
    const { warden } = await openWarden(policy(hec.url), { export: { env: ENV, pollMs: 50 } });
    await runCalls(warden, 10);
    const ids = await expectedIds(warden);
    const endId = (await warden.ledger.store.query({ kinds: ["session.end"] })).map(
      (r) => `${r.chain}:${r.seq}`,
    )[0];
    await waitFor(async () => (await warden.ledger.store.query({ kinds: ["alert"] })).length > 0);
    const [alert] = await warden.ledger.store.query({ kinds: ["alert"] });
    expect(alert?.data).toMatchObject({
      type: "export.dead_letter",
      sink: "splunk",
      event: endId,
      code: "EXPORT_SINK_FAILED",
    });
    expect(JSON.stringify(alert?.data)).not.toContain(TOKEN);
    // Everything else, including the dead-letter alert itself, arrives.
    await waitFor(() => hec.ids().includes(`${alert?.chain}:${alert?.seq}`));
    expect(ids.filter((id) => id !== endId).every((id) => hec.ids().includes(id))).toBe(true);
    expect(hec.ids()).not.toContain(endId);
  });

  it("loses nothing when the collector is busy for longer than the attempts: one stalled alert, no dead letter", async () => {
    const hec = await receiver();
    hec.mode = "busy";
    const { warden } = await openWarden(policy(hec.url), { export: { env: ENV, pollMs: 50 } });
    await runCalls(warden, 5);
    // Three attempts, then it keeps going: well past them before the collector comes back.
    await waitFor(() => hec.requests > 8);
    hec.mode = "ok";
    const ids = await expectedIds(warden);
    await waitFor(() => ids.every((id) => hec.ids().includes(id)));
    const alerts = await warden.ledger.store.query({ kinds: ["alert"] });
    expect(alerts.map((a) => a.data.type)).toEqual(["export.stalled"]);
    expect(alerts[0]?.data).toMatchObject({ sink: "splunk", severity: "high" });
    expect(warden.exporter?.stats().get("splunk")?.deadLettered).toBe(0);
  });

  it("dead-letters an event larger than the collector's max_content_length (413) and delivers the rest", async () => {
    const hec = await receiver();
    hec.maxContentLength = 20_000;
    const { warden } = await openWarden(policy(hec.url), { export: { env: ENV, pollMs: 50 } });
    await expectBigCallDeadLettered(warden, "splunk", 30_000, () => hec.ids());
  });

  it("survives a collector outage and a Warden restart mid-export: every event arrives, repeats keep their id", async () => {
    const hec = await receiver();
    const port = hec.port;
    const dir = tempDir();
    const db = join(dir, "ledger.db");
    const open = () =>
      Warden.open({
        policy: policy(hec.url, {
          batchSize: 7,
          retry: { attempts: 1000, minDelay: "5ms", maxDelay: "30ms" },
        }),
        db,
        export: { env: ENV, pollMs: 50, closeGraceMs: 200 },
      });
    let warden = await open();
    await runCalls(warden, 20);
    await hec.stop();
    await runCalls(warden, 20);
    await warden.close();
    warden = await open();
    onCleanup(() => warden.close());
    await runCalls(warden, 20);
    // The reopened exporter has tried and failed against the stopped collector before it comes back.
    await waitFor(() => (warden.exporter?.stats().get("splunk")?.failures ?? 0) > 0);
    await hec.start(port);
    const ids = await expectedIds(warden);
    await waitFor(() => ids.every((id) => hec.ids().includes(id)), 20_000);
    // At least once: repeats are allowed, but only of events already sent, with the very same body.
    const byId = new Map<string, string>();
    for (const e of hec.events) {
      const body = JSON.stringify(e.event);
      expect(byId.get(e.fields.event_id) ?? body).toBe(body);
      byId.set(e.fields.event_id, body);
    }
    expect([...byId.keys()].filter((id) => !id.includes(":checkpoint:")).sort()).toEqual([...ids].sort());
  });

  it("with indexer acknowledgement on, sends a channel and counts a batch delivered once it is indexed", async () => {
    const hec = await receiver();
    hec.useAck = true;
    hec.ackAfterMs = 150;
    const { warden } = await openWarden(policy(hec.url, { batchSize: 10 }), {
      export: { env: ENV, pollMs: 50 },
    });
    await runCalls(warden, 20);
    const ids = await expectedIds(warden);
    await waitFor(() => ids.every((id) => hec.ids().includes(id)));
    await waitFor(() => (warden.exporter?.stats().get("splunk")?.lag ?? 1) === 0);
    expect(hec.channels.size).toBe(1);
    expect(hec.ackQueries).toBeGreaterThan(0);
    expect(warden.exporter?.stats().get("splunk")?.failures).toBe(0);
  });

  it("sends a batch again when the collector never acknowledges it (lost before indexing)", async () => {
    const hec = await receiver();
    hec.useAck = true;
    hec.lose = (ackId) => ackId === 0;
    const { warden } = await openWarden(
      policy(hec.url, { ackTimeout: "300ms", retry: { attempts: 1000, minDelay: "5ms", maxDelay: "20ms" } }),
      { export: { env: ENV, pollMs: 50 } },
    );
    await runCalls(warden, 5);
    const ids = await expectedIds(warden);
    await waitFor(() => ids.every((id) => hec.ids().includes(id)));
    expect(warden.exporter?.stats().get("splunk")?.failures).toBeGreaterThan(0);
    expect(warden.exporter?.stats().get("splunk")?.deadLettered).toBe(0);
  });

  it("keeps up to batchesInFlight batches waiting for their acknowledgement at once (default 4)", async () => {
    for (const [inFlight, expected] of [
      [undefined, 4],
      [1, 1],
    ] as const) {
      const hec = await receiver();
      hec.useAck = true;
      hec.ackAfterMs = 150;
      const sink = inFlight === undefined ? { batchSize: 5 } : { batchSize: 5, batchesInFlight: inFlight };
      const { warden } = await openWarden(policy(hec.url, sink), { export: { env: ENV, pollMs: 50 } });
      await runCalls(warden, 10);
      const ids = await expectedIds(warden);
      await waitFor(() => (warden.exporter?.stats().get("splunk")?.lag ?? 1) === 0, 20_000);
      expect(ids.every((id) => hec.ids().includes(id))).toBe(true);
      expect(hec.maxUnconfirmed).toBe(expected);
      expect(warden.exporter?.stats().get("splunk")?.failures).toBe(0);
    }
  });

  it("with batches in flight, moves its cursor only over batches taken whole: a refusal in a later one loses nothing", async () => {
    const hec = await receiver();
    const db = join(tempDir(), "ledger.db");
    // The records exist before the exporter starts, so its first pass sends four full batches of five.
    const writer = await Warden.open({ policy: POLICY, db });
    await runCalls(writer, 10);
    await writer.close();
    const refused = 12; // in the third batch, not at its start
    hec.refuse = (e) => e.fields.event_id.endsWith(`:${refused}`);
    const warden = await Warden.open({
      policy: policy(hec.url, { batchSize: 5 }),
      db,
      export: { env: ENV, pollMs: 50 },
    });
    onCleanup(() => warden.close());
    await waitFor(async () => (await warden.ledger.store.query({ kinds: ["alert"] })).length > 0);
    const [alert] = await warden.ledger.store.query({ kinds: ["alert"] });
    expect(alert?.data).toMatchObject({ type: "export.dead_letter", event: `main:${refused}` });
    const ids = (await expectedIds(warden)).filter((id) => id !== `main:${refused}`);
    await waitFor(() => ids.every((id) => hec.ids().includes(id)));
  });

  it("refuses an ackTimeout that does not fit in the sink's sendTimeout", async () => {
    await expect(
      openWarden(policy("http://127.0.0.1:1", { ackTimeout: "40s" }), { export: { env: ENV } }),
    ).rejects.toThrow(/ackTimeout must be shorter/);
  });
});
