// MCP gateway benchmark: tools/call of server-everything's echo, direct vs through `warden mcp` (stdio, HTTP) vs mcp-proxy.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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

export interface McpRun {
  name: string;
  p50Ms: number;
  p99Ms: number;
  callsPerSec: number;
}

/** Sequential echo calls after a warm-up; per-call latencies in ms. */
async function measure(name: string, transport: Transport, calls: number, warmup: number): Promise<McpRun> {
  const client = new Client({ name: "bench", version: "1" });
  await client.connect(transport);
  try {
    for (let i = 0; i < warmup; i++) await client.callTool({ name: "echo", arguments: { message: `w${i}` } });
    const times: number[] = [];
    const start = performance.now();
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      await client.callTool({ name: "echo", arguments: { message: `m${i}` } });
      times.push(performance.now() - t0);
    }
    const total = performance.now() - start;
    times.sort((a, b) => a - b);
    return {
      name,
      p50Ms: percentile(times, 50),
      p99Ms: percentile(times, 99),
      callsPerSec: (calls * 1000) / total,
    };
  } finally {
    await client.close();
  }
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
  const runs: McpRun[] = [];
  const stdio = (command: string, args: string[]) =>
    new StdioClientTransport({ command, args, stderr: "ignore" });
  runs.push(await measure("direct stdio", stdio(process.execPath, [EVERYTHING]), calls, warmup));

  const { dir, token } = await wardenDir();
  try {
    const gateway = stdio(process.execPath, [
      BIN,
      "mcp",
      "--dir",
      dir,
      "--agent",
      "bench",
      "--",
      process.execPath,
      EVERYTHING,
    ]);
    runs.push(await measure("warden mcp, stdio ↔ stdio", gateway, calls, warmup));

    const proxyPort = 18_000 + Math.floor(Math.random() * 1000);
    const proxy = await startFront(
      [
        MCP_PROXY,
        "--port",
        String(proxyPort),
        "--host",
        "127.0.0.1",
        "--server",
        "stream",
        "--",
        process.execPath,
        EVERYTHING,
      ],
      `http://127.0.0.1:${proxyPort}/mcp`,
    );
    try {
      const url = new URL(`http://127.0.0.1:${proxyPort}/mcp`);
      runs.push(
        await measure("mcp-proxy, HTTP → stdio", new StreamableHTTPClientTransport(url), calls, warmup),
      );
    } finally {
      await stop(proxy);
    }

    const port = proxyPort + 1;
    const front = await startFront(
      [BIN, "mcp", "--dir", dir, "--listen", `127.0.0.1:${port}`, "--", process.execPath, EVERYTHING],
      `http://127.0.0.1:${port}/mcp`,
    );
    try {
      const url = new URL(`http://127.0.0.1:${port}/mcp`);
      const transport = new StreamableHTTPClientTransport(url, {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      });
      runs.push(await measure("warden mcp --listen, HTTP → stdio", transport, calls, warmup));
    } finally {
      await stop(front);
    }
    const store = await SqliteStore.open(join(dir, "ledger.db"));
    const intents = (await store.query({ kinds: ["call.intent"] })).length;
    await store.close();
    if (intents < 2 * (calls + warmup))
      throw new Error(`expected ${2 * (calls + warmup)} intent records, found ${intents}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return runs;
}

export function mcpTable(runs: McpRun[]): string {
  const direct = runs[0];
  const rows = runs.map((r) => [
    r.name,
    `${fmt(r.p50Ms, 3)} ms`,
    `${fmt(r.p99Ms, 3)} ms`,
    fmt(r.callsPerSec),
    direct && r !== direct ? `+${fmt((r.p50Ms - direct.p50Ms) * 1000)} µs` : "",
  ]);
  return table([
    ["echo tools/call, 2,000 sequential", "p50", "p99", "calls/s", "p50 added vs direct"],
    ...rows,
  ]);
}
