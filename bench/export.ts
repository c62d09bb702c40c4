// Export benchmark: sustained records/s each sink drains from a filled ledger, and lag at 1,000 tool calls/s.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SinkDocument } from "../src/export/index.js";
import { Warden } from "../src/warden.js";
import { hecAckReceiver, httpReceiver, type Receiver, tcpReceiver } from "./export-receivers.js";
import { fmt, percentile, table } from "./stats.js";

const POLICY = { allowed_tools: ["read_ticket"] };
const NATS = process.env.WARDEN_BENCH_NATS ?? "nats://127.0.0.1:4222";
const SECRET = `whsec_${randomBytes(24).toString("base64")}`;
const ENV = { SPLUNK_HEC_TOKEN: "bench", WARDEN_WEBHOOK_SECRET: SECRET };

export interface ThroughputRow {
  sink: string;
  records: number;
  perSec: number;
}

export interface LagResult {
  callsPerSec: number;
  seconds: number;
  maxLag: number;
  p99Lag: number;
  drainMs: number;
}

async function sinks(dir: string): Promise<{ docs: SinkDocument[]; receivers: Receiver[] }> {
  const hec = await httpReceiver(200, '{"text":"Success","code":0}');
  const hook = await httpReceiver(204, "");
  const otlp = await httpReceiver(200, "{}");
  const tcp = await tcpReceiver();
  const docs = [
    { name: "jsonl", type: "jsonl", path: join(dir, "audit.jsonl") },
    {
      name: "syslog-tcp-cef",
      type: "syslog",
      transport: "tcp",
      host: "127.0.0.1",
      port: tcp.port,
      format: "cef",
    },
    { name: "splunk-hec", type: "splunk-hec", url: hec.url },
    { name: "webhook", type: "webhook", url: hook.url },
    { name: "otlp", type: "otlp", url: `${otlp.url}/v1/traces` },
    { name: "jsonl-ocsf", type: "jsonl", path: join(dir, "ocsf.jsonl"), format: "ocsf" },
  ] as SinkDocument[];
  if (await natsUp()) {
    docs.push({
      name: "nats",
      type: "nats",
      servers: [NATS],
      subjectPrefix: "warden_bench",
      stream: "WARDEN_BENCH",
    } as SinkDocument);
  }
  return { docs, receivers: [hec, hook, otlp, tcp] };
}

async function natsUp(): Promise<boolean> {
  const { connect } = await import("nats");
  const nc = await connect({ servers: NATS, timeout: 500, reconnect: false }).catch(() => null);
  if (!nc) return false;
  // A fresh stream so the benchmark's duplicate window sees only its own ids.
  const jsm = await nc.jetstreamManager();
  await jsm.streams.delete("WARDEN_BENCH").catch(() => undefined);
  await nc.close();
  return true;
}

/** One tool call = an intent and an outcome record. */
async function calls(warden: Warden, n: number): Promise<void> {
  const session = await warden.session({ agent: "bench", onBehalfOf: "bench@example.com", intent: "bench" });
  const read = session.guard("read_ticket", async (a: { id: number }) => a.id);
  await Promise.all(Array.from({ length: n }, (_, i) => read({ id: i })));
}

async function drained(warden: Warden, sink: string, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (
    (warden.exporter?.stats().get(sink)?.lag ?? 1) > 0 ||
    (warden.exporter?.stats().get(sink)?.delivered ?? 0) === 0
  ) {
    if (Date.now() > until) throw new Error(`${sink} did not drain`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Fills a ledger with `calls` tool calls, then times each sink alone draining it from cursor 0. */
async function throughput(n: number): Promise<ThroughputRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "warden-bench-export-"));
  const db = join(dir, "ledger.db");
  const { docs, receivers } = await sinks(dir);
  try {
    const filler = await Warden.open({ policy: POLICY, db });
    await calls(filler, n);
    await filler.close();
    const rows: ThroughputRow[] = [];
    for (const doc of docs) {
      const batchSize = doc.type === "webhook" ? 50 : 500;
      const warden = await Warden.open({
        policy: { ...POLICY, export: { batchSize, sinks: [doc] } },
        db,
        export: { env: ENV, pollMs: 5 },
      });
      const records = (await warden.ledger.head())?.seq ?? 0;
      const t = performance.now();
      await drained(warden, doc.name);
      rows.push({ sink: doc.name, records, perSec: records / ((performance.now() - t) / 1000) });
      await warden.close();
    }
    return rows;
  } finally {
    for (const r of receivers) await r.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Paces calls at `rate`/s for `seconds` with every sink running, sampling the worst sink's lag. */
async function lagAtRate(rate: number, seconds: number): Promise<LagResult> {
  const dir = mkdtempSync(join(tmpdir(), "warden-bench-export-"));
  const { docs, receivers } = await sinks(dir);
  const warden = await Warden.open({
    policy: { ...POLICY, export: { sinks: docs } },
    db: join(dir, "ledger.db"),
    export: { env: ENV, pollMs: 50 },
  });
  const samples: number[] = [];
  const worst = () => Math.max(...[...(warden.exporter?.stats().values() ?? [])].map((s) => s.lag));
  const sampler = setInterval(() => samples.push(worst()), 50);
  try {
    const tickMs = 10;
    const perTick = (rate * tickMs) / 1000;
    const start = performance.now();
    for (let tick = 0; performance.now() - start < seconds * 1000; tick++) {
      await calls(warden, perTick);
      const next = start + (tick + 1) * tickMs;
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
    const elapsed = (performance.now() - start) / 1000;
    const stopped = performance.now();
    while (worst() > 0) await new Promise((r) => setTimeout(r, 5));
    const drainMs = performance.now() - stopped;
    samples.sort((a, b) => a - b);
    return {
      callsPerSec: (rate * seconds) / elapsed,
      seconds: elapsed,
      maxLag: samples.at(-1) ?? 0,
      p99Lag: percentile(samples, 99),
      drainMs,
    };
  } finally {
    clearInterval(sampler);
    await warden.close();
    for (const r of receivers) await r.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface AckRow {
  batchesInFlight: number;
  records: number;
  perSec: number;
}

/** A collector that acknowledges each batch this long after it took it (Splunk: seconds, under load more). */
const ACK_AFTER_MS = 500;

/**
 * Splunk HEC with indexer acknowledgement: the same ledger drained with one batch in flight and with the
 * default four, at the default batch size (100).
 */
async function hecWithAck(n: number): Promise<AckRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "warden-bench-export-"));
  const db = join(dir, "ledger.db");
  const hec = await hecAckReceiver(ACK_AFTER_MS);
  try {
    const filler = await Warden.open({ policy: POLICY, db });
    await calls(filler, n);
    await filler.close();
    const rows: AckRow[] = [];
    for (const batchesInFlight of [1, 4]) {
      const name = `splunk-hec-ack-${batchesInFlight}`;
      const doc = { name, type: "splunk-hec", url: hec.url, batchesInFlight } as SinkDocument;
      const warden = await Warden.open({
        policy: { ...POLICY, export: { sinks: [doc] } },
        db,
        export: { env: ENV, pollMs: 5 },
      });
      const records = (await warden.ledger.head())?.seq ?? 0;
      const t = performance.now();
      await drained(warden, name, 600_000);
      rows.push({ batchesInFlight, records, perSec: records / ((performance.now() - t) / 1000) });
      await warden.close();
    }
    return rows;
  } finally {
    await hec.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchExport(n = Number(process.env.BENCH_EXPORT_CALLS ?? 10_000)) {
  return {
    throughput: await throughput(n),
    lag: await lagAtRate(1000, Number(process.env.BENCH_EXPORT_SECONDS ?? 5)),
    ack: await hecWithAck(Math.min(n, 1_000)),
  };
}

export function exportTable(r: Awaited<ReturnType<typeof benchExport>>): string {
  const rows = r.throughput.map((t) => [t.sink, fmt(t.records), fmt(t.perSec)]);
  const l = r.lag;
  return [
    table([["sink (one at a time, from cursor 0)", "records", "records/s"], ...rows]),
    "",
    table([
      ["all sinks at once, paced calls", "value"],
      ["tool calls/s achieved (2 records each)", fmt(l.callsPerSec)],
      ["lag, worst sink: max / p99 (records)", `${fmt(l.maxLag)} / ${fmt(l.p99Lag)}`],
      ["drain after the last call", `${fmt(l.drainMs)} ms`],
    ]),
    "",
    table([
      [`splunk-hec, indexer ack ${ACK_AFTER_MS} ms after each batch (100 per batch)`, "records", "records/s"],
      ...r.ack.map((a) => [`batchesInFlight: ${a.batchesInFlight}`, fmt(a.records), fmt(a.perSec)]),
      ["ratio (4 / 1)", "", `${((r.ack[1]?.perSec ?? 0) / (r.ack[0]?.perSec ?? 1)).toFixed(2)}×`],
    ]),
  ].join("\n");
}
