// MCP gateway benchmark: tools/call of server-everything's echo, direct vs through `warden mcp` (stdio, HTTP) vs
// mcp-proxy, beside two floors: a byte relay (the extra hop) and a naive durable relay (the hop and one fsync).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { SqliteStore } from "../src/ledger/index.js";
import { createToken } from "../src/server/index.js";
import { Warden } from "../src/warden.js";
import { fmt, percentile, table } from "./stats.js";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "dist/cli/bin.js");
const EVERYTHING = join(ROOT, "node_modules/@modelcontextprotocol/server-everything/dist/index.js");
const MCP_PROXY = join(ROOT, "node_modules/mcp-proxy/dist/bin/mcp-proxy.mjs");
const RELAY = join(import.meta.dirname, "relay-child.js");

export interface McpRun {
  name: string;
  p50Ms: number;
  p99Ms: number;
  callsPerSec: number;
  /** CPU time (user + system) of the relaying process per call; null for direct or where /proc is absent. */
  cpuUsPerCall: number | null;
}

const ROUNDS = 4;

interface Contender {
  name: string;
  client: Client;
  times: number[];
  ms: number;
  /** The process between client and server (the relay, the gateway, the HTTP front), if any. */
  pid: number | null;
  cpuMs: number;
}

async function connect(
  name: string,
  transport: Transport,
  warmup: number,
  pid: () => number | null,
): Promise<Contender> {
  const client = new Client({ name: "bench", version: "1" });
  await client.connect(transport);
  for (let i = 0; i < warmup; i++) await client.callTool({ name: "echo", arguments: { message: `w${i}` } });
  return { name, client, times: [], ms: 0, pid: pid(), cpuMs: 0 };
}

/**
 * CPU time a process has used (user + system, ms), from /proc (Linux). On a machine others load, the
 * relaying process's CPU per call moves far less than latency does, so it is printed beside it.
 */
function cpuMs(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10 : null;
  } catch {
    return null;
  }
}

/**
 * Sequential echo calls, every contender in turn for ROUNDS rounds (calls/ROUNDS each time): a machine
 * whose speed drifts during the run moves every figure alike instead of favouring whoever ran first.
 */
async function race(contenders: Contender[], calls: number): Promise<McpRun[]> {
  const perRound = Math.ceil(calls / ROUNDS);
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of contenders) {
      const cpu0 = cpuMs(c.pid);
      const start = performance.now();
      for (let i = 0; i < perRound; i++) {
        const t0 = performance.now();
        await c.client.callTool({ name: "echo", arguments: { message: `m${round}.${i}` } });
        c.times.push(performance.now() - t0);
      }
      c.ms += performance.now() - start;
      const cpu1 = cpuMs(c.pid);
      c.cpuMs = cpu0 === null || cpu1 === null ? Number.NaN : c.cpuMs + cpu1 - cpu0;
    }
  }
  return contenders.map((c) => {
    const sorted = [...c.times].sort((a, b) => a - b);
    return {
      name: c.name,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      callsPerSec: (sorted.length * 1000) / c.ms,
      cpuUsPerCall: c.pid === null || Number.isNaN(c.cpuMs) ? null : (c.cpuMs * 1000) / sorted.length,
    };
  });
}

/** A Warden folder on the project's disk (durable fsyncs, like production), with an agent token. */
async function wardenDir(): Promise<{ dir: string; token: string }> {
  const dir = mkdtempSync(join(tmpdir(), "warden-bench-mcp-"));
  writeFileSync(
    join(dir, "policy.yaml"),
    JSON.stringify({ default: "allow", agents: { bench: { team: "b", developer: "b", tools: ["*"] } } }),
  );
  const warden = await Warden.open({ policy: join(dir, "policy.yaml"), db: join(dir, "ledger.db") });
  await warden.close();
  const store = await SqliteStore.open(join(dir, "ledger.db"));
  const { token } = await createToken(store, { role: "agent", agent: "bench" });
  await store.close();
  return { dir, token };
}

/** Starts an HTTP front and waits until it accepts connections. */
async function startFront(args: string[], url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "ignore"] });
  const until = Date.now() + 15_000;
  for (;;) {
    try {
      await fetch(url, { method: "GET" });
      return child;
    } catch {
      if (Date.now() > until || child.exitCode !== null) {
        child.kill();
        throw new Error(`${args.join(" ")} did not start`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
  if (child.exitCode === null) child.kill("SIGKILL");
}

export async function benchMcp(calls = 2_000, warmup = 300): Promise<McpRun[]> {
  // The SDK's HTTP client hands one AbortSignal to every fetch; on Node 20 each adds a listener, which
  // prints a leak warning per call past 1,500 in a 2,000-call run. It is the client's, not a server's.
  const warnings = process.listeners("warning");
  process.removeAllListeners("warning");
  process.on("warning", (w) => {
    if (w.name !== "MaxListenersExceededWarning") console.warn(w);
  });
  try {
    return await runAll(calls, warmup);
  } finally {
    process.removeAllListeners("warning");
    for (const l of warnings) process.on("warning", l);
  }
}

async function runAll(calls: number, warmup: number): Promise<McpRun[]> {
  const stdio = (command: string, args: string[]) =>
    new StdioClientTransport({ command, args, stderr: "ignore" });
  const { dir, token } = await wardenDir();
  const children: ChildProcess[] = [];
  const contenders: Contender[] = [];
  try {
    const port = 18_000 + Math.floor(Math.random() * 1000);
    const proxyUrl = `http://127.0.0.1:${port}/mcp`;
    const frontUrl = `http://127.0.0.1:${port + 1}/mcp`;
    const node = process.execPath;
    children.push(
      await startFront(
        [
          MCP_PROXY,
          "--port",
          String(port),
          "--host",
          "127.0.0.1",
          "--server",
          "stream",
          "--",
          node,
          EVERYTHING,
        ],
        proxyUrl,
      ),
      await startFront(
        [BIN, "mcp", "--dir", dir, "--listen", `127.0.0.1:${port + 1}`, "--", node, EVERYTHING],
        frontUrl,
      ),
    );
    const add = async (name: string, transport: Transport, front?: ChildProcess) =>
      contenders.push(
        await connect(name, transport, warmup, () =>
          front ? (front.pid ?? null) : transport instanceof StdioClientTransport ? transport.pid : null,
        ),
      );
    await add("direct stdio", stdio(node, [EVERYTHING]));
    // Direct has no process between client and server: its CPU column stays empty.
    const direct = contenders[0];
    if (direct) direct.pid = null;
    await add(
      "byte relay, stdio ↔ stdio (floor: one more hop)",
      stdio(node, [RELAY, "bytes", "--", node, EVERYTHING]),
    );
    await add(
      "naive durable relay (floor: hop + one FULL commit)",
      stdio(node, [RELAY, "durable", "--", node, EVERYTHING]),
    );
    await add(
      "MCP SDK relay + the same commit (floor with the SDK)",
      stdio(node, [RELAY, "sdk", "--", node, EVERYTHING]),
    );
    await add(
      "MCP SDK relay + Warden's ledger (floor: its two records)",
      stdio(node, [RELAY, "ledger", "--", node, EVERYTHING]),
    );
    await add(
      "warden mcp, stdio ↔ stdio",
      stdio(node, [BIN, "mcp", "--dir", dir, "--agent", "bench", "--", node, EVERYTHING]),
    );
    await add("mcp-proxy, HTTP → stdio", new StreamableHTTPClientTransport(new URL(proxyUrl)), children[0]);
    await add(
      "warden mcp --listen, HTTP → stdio",
      new StreamableHTTPClientTransport(new URL(frontUrl), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
      children[1],
    );
    const runs = await race(contenders, calls);
    await Promise.all(contenders.map((c) => c.client.close()));
    await Promise.all(children.map(stop));
    const store = await SqliteStore.open(join(dir, "ledger.db"));
    const intents = (await store.query({ kinds: ["call.intent"] })).length;
    await store.close();
    const expected = 2 * (ROUNDS * Math.ceil(calls / ROUNDS) + warmup);
    if (intents < expected) throw new Error(`expected ${expected} intent records, found ${intents}`);
    return runs;
  } finally {
    await Promise.all(contenders.map((c) => c.client.close().catch(() => undefined)));
    await Promise.all(children.map(stop));
    rmSync(dir, { recursive: true, force: true });
  }
}

export function mcpTable(runs: McpRun[]): string {
  const direct = runs[0];
  const rows = runs.map((r) => [
    r.name,
    `${fmt(r.p50Ms, 3)} ms`,
    `${fmt(r.p99Ms, 3)} ms`,
    fmt(r.callsPerSec),
    direct && r !== direct ? `+${fmt((r.p50Ms - direct.p50Ms) * 1000)} µs` : "",
    r.cpuUsPerCall === null ? "" : `${fmt(r.cpuUsPerCall)} µs`,
  ]);
  return [
    table([
      ["echo tools/call, 2,000 sequential", "p50", "p99", "calls/s", "p50 added vs direct", "relay CPU/call"],
      ...rows,
    ]),
    targetsTable(runs),
  ].join("\n\n");
}

/** The targets, as ratios within this run (a loaded machine moves every row alike, not the ratios). */
function targetsTable(runs: McpRun[]): string {
  const find = (prefix: string) => runs.find((r) => r.name.startsWith(prefix));
  const [direct, sdk, ledger, stdio, proxy, front] = [
    runs[0],
    find("MCP SDK relay + the same commit"),
    find("MCP SDK relay + Warden's ledger"),
    find("warden mcp, stdio"),
    find("mcp-proxy"),
    find("warden mcp --listen"),
  ];
  if (!direct || !sdk || !ledger || !stdio || !proxy || !front) return "";
  const added = (r: McpRun) => r.p50Ms - direct.p50Ms;
  const cpu = (a: McpRun, b: McpRun) =>
    a.cpuUsPerCall !== null && b.cpuUsPerCall !== null ? `${fmt(a.cpuUsPerCall / b.cpuUsPerCall, 2)}×` : "";
  return table([
    ["target (same run)", "measured", "CPU/call ratio", "target"],
    [
      "warden mcp stdio added p50 / MCP SDK relay + commit added p50",
      `${fmt(added(stdio) / added(sdk), 2)}×`,
      cpu(stdio, sdk),
      "≤ 1.25×",
    ],
    [
      "(floor) SDK relay + Warden's ledger added p50 / SDK relay + commit added p50",
      `${fmt(added(ledger) / added(sdk), 2)}×`,
      cpu(ledger, sdk),
      "",
    ],
    [
      "warden mcp --listen p50 / mcp-proxy p50",
      `${fmt(front.p50Ms / proxy.p50Ms, 2)}×`,
      cpu(front, proxy),
      "≤ 1×",
    ],
  ]);
}
