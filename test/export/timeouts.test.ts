// A receiver slower than the sink's sendTimeout: the send the exporter gave up on stops, rather than
// carrying on beside its retry and piling requests (or buffered bytes) onto a receiver already behind.

import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { type AddressInfo, createServer as createNetServer, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { Warden } from "../../src/index.js";
import { onCleanup, openWarden } from "../helpers.js";
import { expectedIds, POLICY, runCalls, waitFor } from "./helpers.js";

const SECRET = `whsec_${randomBytes(24).toString("base64")}`;

/** Answers each request after `delayMs` (while `slow`), counting the requests open at once. */
async function slowReceiver(delayMs: number) {
  const state = { slow: true, open: 0, maxOpen: 0, ids: new Set<string>() };
  const server = createServer((req, res) => {
    state.open++;
    state.maxOpen = Math.max(state.maxOpen, state.open);
    let closed = false;
    res.on("close", () => {
      if (!closed) state.open--;
      closed = true;
    });
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const answer = () => {
        if (res.destroyed) return;
        // A webhook's id is its header; a HEC batch names each event in its fields.
        const hook = req.headers["webhook-id"];
        if (typeof hook === "string") state.ids.add(hook);
        const body = Buffer.concat(chunks).toString("utf8");
        for (const m of body.matchAll(/"event_id":"([^"]+)"/g)) state.ids.add(m[1]!);
        res.writeHead(200, { "content-type": "application/json" }).end('{"text":"Success","code":0}');
      };
      if (state.slow) setTimeout(answer, delayMs);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onCleanup(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { state, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe.each([
  // One POST per event, 8 at a time.
  ["webhook", { type: "webhook", batchSize: 40 }, 8],
  // One POST per batch, up to batchesInFlight batches at a time.
  ["splunk-hec", { type: "splunk-hec", batchSize: 5, batchesInFlight: 2 }, 2],
] as const)("send timeout: %s", (_type, options, limit) => {
  it("a send given up on is cut, so no more requests than the sink's own limit are ever open", async () => {
    const rx = await slowReceiver(2_000);
    const sink = { name: "hooks", url: rx.url, sendTimeout: "200ms", ...options };
    // A full batch waits in the ledger before the exporter starts: 40 events, 8 requests at a time.
    const first = await openWarden(POLICY);
    await runCalls(first.warden, 20);
    await first.warden.close();
    const warden = await Warden.open({
      policy: {
        ...POLICY,
        export: { retry: { attempts: 1000, minDelay: "10ms", maxDelay: "20ms" }, sinks: [sink] },
      },
      db: first.db,
      export: { env: { WARDEN_WEBHOOK_SECRET: SECRET, SPLUNK_HEC_TOKEN: "t" }, pollMs: 50 },
    });
    onCleanup(() => warden.close());
    await waitFor(() => warden.exporter!.stats().get("hooks")!.failures >= 5);
    expect(rx.state.maxOpen).toBeLessThanOrEqual(limit);
    rx.state.slow = false;
    const ids = await expectedIds(warden);
    await waitFor(() => ids.every((id) => rx.state.ids.has(id)));
  });
});

describe("send timeout: syslog over TCP", () => {
  it("a receiver that stops reading gets the batch again on a new connection, not queued behind the last", async () => {
    // Accepts connections and reads nothing until `reading`; counts the copies of one event it then gets.
    const state = { reading: false, connections: 0, copies: new Map<string, number>() };
    const sockets: Socket[] = [];
    const server = createNetServer((socket) => {
      state.connections++;
      let tail = "";
      socket.on("data", (c: Buffer) => {
        const text = tail + c.toString("latin1");
        let end = 0;
        for (const m of text.matchAll(/eventId="([^"]+)"/g)) {
          state.copies.set(m[1]!, (state.copies.get(m[1]!) ?? 0) + 1);
          end = m.index + m[0].length;
        }
        tail = text.slice(Math.max(end, text.length - 64));
      });
      socket.on("error", () => undefined);
      if (!state.reading) socket.pause();
      sockets.push(socket);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    onCleanup(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    });
    const port = (server.address() as AddressInfo).port;
    // One batch of 80 records of 150 kB: far more than the kernel's socket buffers take from a
    // connection nobody reads, so each attempt is still writing when it is given up on.
    const first = await openWarden(POLICY);
    const session = await first.warden.session({
      agent: "bot",
      onBehalfOf: "alice@example.com",
      intent: "t",
    });
    let callId = "";
    for (let i = 0; i < 80; i++)
      ({ callId } = await session.check("read_ticket", { note: "x".repeat(150_000) }));
    const [lastBig] = await first.warden.ledger.store.query({ callId, kinds: ["call.intent"] });
    await first.warden.close();
    const sink = {
      name: "siem",
      type: "syslog",
      transport: "tcp",
      host: "127.0.0.1",
      port,
      // Long enough for the whole batch once the receiver reads, on a busy machine too.
      sendTimeout: "1500ms",
      batchSize: 200,
    };
    const warden = await Warden.open({
      policy: {
        ...POLICY,
        export: { retry: { attempts: 1000, minDelay: "10ms", maxDelay: "20ms" }, sinks: [sink] },
      },
      db: first.db,
      export: { pollMs: 50 },
    });
    onCleanup(() => warden.close());
    await waitFor(() => warden.exporter!.stats().get("siem")!.failures >= 2);
    state.reading = true;
    for (const s of sockets) s.resume();
    const ids = await expectedIds(warden);
    await waitFor(() => ids.every((id) => state.copies.has(id)), 20_000);
    // Every attempt had a connection of its own, and what a given-up attempt had queued was dropped with it.
    expect(state.connections).toBeGreaterThanOrEqual(3);
    // Its end never left the process before the receiver read again: it arrives once, not once per attempt.
    expect(state.copies.get(`main:${lastBig!.seq}`)).toBe(1);
  });
});
