// Core benchmarks: the gate in-process vs no gate vs a naive decorator, durable decisions, HTTP, policy, verify, RSS.
import { spawn } from "node:child_process";
import {
  appendFileSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Warden } from "../src/index.js";
import { exportJsonl, loadSigningKey, verifyDatabase } from "../src/ledger/index.js";
import { parsePolicy } from "../src/policy/index.js";
import { fmt, percentile, table, timeConcurrent, timeLoop } from "./stats.js";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "dist/cli/bin.js");

function temp(): string {
  return mkdtempSync(join(tmpdir(), "warden-bench-"));
}

/** Per allowed call, sequential: bare function, guard(), naive decorator (with and without fsync). */
export async function benchPerCall(n = 20_000) {
  const dir = temp();
  const warden = await Warden.open({
    policy: { allowed_tools: ["add"], blocked_tools: ["rm"] },
    db: join(dir, "l.db"),
  });
  const session = await warden.session({ agent: "bench", onBehalfOf: "u", intent: "bench" });
  const add = async (a: { x: number; y: number }) => a.x + a.y;
  const guardedAdd = session.guard("add", add);
  const blocked = new Set(["rm"]);
  const logFile = join(dir, "naive.log");
  const fd = openSync(join(dir, "naive-sync.log"), "a");
  const naive = async (a: { x: number; y: number }) => {
    const line = JSON.stringify({ tool: "add", args: a, ts: Date.now() });
    if (blocked.has("add")) throw new Error("blocked");
    appendFileSync(logFile, `${line}\n`);
    return add(a);
  };
  const naiveSync = async (a: { x: number; y: number }) => {
    const line = JSON.stringify({ tool: "add", args: a, ts: Date.now() });
    if (blocked.has("add")) throw new Error("blocked");
    writeSync(fd, `${line}\n`);
    fsyncSync(fd);
    return add(a);
  };
  const bare = await timeLoop(n, (i) => add({ x: i, y: 1 }));
  const gated = await timeLoop(n, (i) => guardedAdd({ x: i, y: 1 }));
  const naiveR = await timeLoop(n, (i) => naive({ x: i, y: 1 }));
  const naiveS = await timeLoop(Math.min(n, 5000), (i) => naiveSync({ x: i, y: 1 }));
  closeSync(fd);
  await warden.close();
  rmSync(dir, { recursive: true, force: true });
  return { bare, gated, naive: naiveR, naiveFsync: naiveS };
}

/** Durable decisions (session.check: policy + intent record committed) with 1 and 64 callers. */
export async function benchDurable(total = 100_000) {
  const dir = temp();
  const warden = await Warden.open({ policy: { allowed_tools: ["read"] }, db: join(dir, "l.db") });
  const session = await warden.session({ agent: "bench", onBehalfOf: "u", intent: "bench" });
  const one = await timeConcurrent(Math.min(total, 5000), 1, (i) => session.check("read", { i }));
  const before = warden.ledger.stats();
  const many = await timeConcurrent(total, 64, (i) => session.check("read", { i }));
  const after = warden.ledger.stats();
  await warden.close();
  const verifyStart = process.hrtime.bigint();
  const verdict = await verifyDatabase(join(dir, "l.db"));
  const verifySeconds = Number(process.hrtime.bigint() - verifyStart) / 1e9;
  if (!verdict.ok) throw new Error("benchmark ledger does not verify");
  // The naive peer for verification: nothing to verify; report the export size instead for context.
  await exportJsonl(join(dir, "l.db"), join(dir, "l.jsonl"), {
    signingKey: await loadSigningKey(join(dir, "l.key")),
  });
  rmSync(dir, { recursive: true, force: true });
  return {
    one: one.opsPerSec,
    many: many.opsPerSec,
    recordsPerBatch: (after.records - before.records) / Math.max(1, after.batches - before.batches),
    verifyPerSec: verdict.records / verifySeconds,
    verifiedRecords: verdict.records,
  };
}

/** Policy evaluation latency with 10 and 1,000 rules. */
export function benchPolicy() {
  const out: { rules: number; p50: number; p99: number }[] = [];
  for (const count of [10, 1000]) {
    const rules = Array.from({ length: count }, (_, i) => ({
      id: `r${i}`,
      tools: [i % 3 === 0 ? `srv${i}__*` : `tool_${i}`],
      decision: i % 5 === 0 ? "deny" : "allow",
      ...(i % 7 === 0 ? { when: `args.n > ${i}` } : {}),
    }));
    rules.push({ id: "target", tools: ["tool_target"], decision: "allow", when: "args.n >= 0" });
    const policy = parsePolicy(JSON.stringify({ rules }), "<bench>");
    const input = {
      tool: "tool_target",
      args: { n: 5 },
      agent: { name: "a", team: null, developer: null },
      session: { id: "s", onBehalfOf: "u", intent: "i", parent: null },
      now: new Date(),
    };
    for (let i = 0; i < 10_000; i++) policy.evaluate(input);
    const samples: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      const t = process.hrtime.bigint();
      policy.evaluate(input);
      samples.push(Number(process.hrtime.bigint() - t));
    }
    samples.sort((a, b) => a - b);
    out.push({ rules: count + 1, p50: percentile(samples, 50) / 1000, p99: percentile(samples, 99) / 1000 });
  }
  return out;
}

/** POST /v1/decisions against `warden start` in its own process, 32 keep-alive connections. */
export async function benchHttp(total = 40_000, connections = 32) {
  const dir = temp();
  // Its own policy: the example's rate limit would turn the load into refusals.
  mkdirSync(join(dir, ".warden"), { mode: 0o700 });
  writeFileSync(join(dir, ".warden/policy.yaml"), JSON.stringify({ allowed_tools: ["read_ticket"] }));
  const child = spawn(process.execPath, [BIN, "start", "--quickstart", "--port", "0"], {
    cwd: dir,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const url = await new Promise<string>((ok, fail) => {
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m) ok(m[1]!);
    });
    child.once("exit", () => fail(new Error(`warden start exited: ${out}`)));
  });
  const token = readFileSync(join(dir, ".warden/admin.token"), "utf8").trim();
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const post = (path: string, body: unknown) =>
    new Promise<string>((ok, fail) => {
      const data = JSON.stringify(body);
      const req = http.request(`${url}${path}`, {
        method: "POST",
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(data),
        },
      });
      req.on("response", (res) => {
        let text = "";
        res.on("data", (c) => {
          text += c;
        });
        res.on("end", () =>
          res.statusCode === 200 || res.statusCode === 201
            ? ok(text)
            : fail(new Error(`${res.statusCode} ${text}`)),
        );
      });
      req.on("error", fail);
      req.end(data);
    });
  const session = JSON.parse(
    await post("/v1/sessions", { agent: "bench-bot", onBehalfOf: "u@example.com", intent: "bench" }),
  ).id;
  const body = (i: number) => ({ session, tool: "read_ticket", args: { id: i }, rationale: "bench" });
  await timeConcurrent(2000, connections, (i) => post("/v1/decisions", body(i)));
  const latencies: number[] = [];
  const run = await timeConcurrent(total, connections, async (i) => {
    const t = performance.now();
    await post("/v1/decisions", body(i));
    latencies.push(performance.now() - t);
  });
  latencies.sort((a, b) => a - b);
  agent.destroy();
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  rmSync(dir, { recursive: true, force: true });
  return { perSec: run.opsPerSec, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** RSS of a fresh process after it made 1,000,000 records durable through the gate. */
export async function benchRss(records = 1_000_000) {
  const script = join(ROOT, "dist-bench/bench/rss-child.js");
  const child = spawn(process.execPath, ["--expose-gc", script, String(records)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  await new Promise((r) => child.once("exit", r));
  return JSON.parse(out) as { records: number; rssMb: number; seconds: number };
}

export function coreTable(r: {
  perCall: Awaited<ReturnType<typeof benchPerCall>>;
  durable: Awaited<ReturnType<typeof benchDurable>>;
  policy: ReturnType<typeof benchPolicy>;
  http: Awaited<ReturnType<typeof benchHttp>>;
  rss: Awaited<ReturnType<typeof benchRss>>;
}): string {
  const { perCall: p, durable: d } = r;
  const us = (ns: number) => fmt(ns / 1000, 2);
  const rows = [
    ["measure", "value", "vs. baseline", "target"],
    ["bare function, per call", `${us(p.bare.nsPerOp)} µs`, "1×", ""],
    [
      "guard() allowed call (2 durable records), per call",
      `${us(p.gated.nsPerOp)} µs`,
      `${fmt(p.gated.nsPerOp / p.bare.nsPerOp, 0)}× bare`,
      "",
    ],
    [
      "naive decorator (stringify + Set + appendFileSync)",
      `${us(p.naive.nsPerOp)} µs`,
      `guard = ${fmt(p.gated.nsPerOp / p.naive.nsPerOp, 2)}× naive`,
      "",
    ],
    [
      "naive decorator + fsyncSync (durable)",
      `${us(p.naiveFsync.nsPerOp)} µs`,
      `guard = ${fmt(p.gated.nsPerOp / p.naiveFsync.nsPerOp, 2)}× naive+fsync`,
      "",
    ],
    ["durable decisions/s, 1 caller", fmt(d.one), "", ""],
    [
      "durable decisions/s, 64 callers (group commit)",
      fmt(d.many),
      `${fmt(d.many / d.one, 1)}× 1 caller; ${fmt(d.recordsPerBatch, 1)} records/commit`,
      "≥ 20,000",
    ],
    [
      "POST /v1/decisions/s, 32 connections",
      fmt(r.http.perSec),
      `p50 ${fmt(r.http.p50, 2)} ms, p99 ${fmt(r.http.p99, 2)} ms`,
      "≥ 5,000",
    ],
    ...r.policy.map((x) => [
      `policy evaluation, ${fmt(x.rules)} rules`,
      `p50 ${fmt(x.p50, 2)} µs`,
      `p99 ${fmt(x.p99, 2)} µs`,
      x.rules > 100 ? "p50 ≤ 5 µs" : "",
    ]),
    ["warden verify, records/s", fmt(d.verifyPerSec), `${fmt(d.verifiedRecords)} records`, "≥ 100,000"],
    [
      `RSS after ${fmt(r.rss.records)} records`,
      `${fmt(r.rss.rssMb, 1)} MB`,
      `${fmt(r.rss.records / r.rss.seconds)} records/s`,
      "≤ 150 MB",
    ],
  ];
  return table(rows);
}
