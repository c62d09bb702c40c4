// Contained execution: bwrap start-to-exit, egress proxy overhead per request, violation → killed → alert delivered.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BubblewrapRunner,
  createAlertSender,
  EgressProxy,
  type EgressViolation,
  KillSwitch,
  type LookupFn,
} from "../src/sandbox/index.js";
import { fmt, percentile, table } from "./stats.js";

interface Dist {
  p50: number;
  p99: number;
}

function dist(ms: number[]): Dist {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99) };
}

async function sample(n: number, fn: () => Promise<unknown>, warmup = 3): Promise<Dist> {
  for (let i = 0; i < warmup; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return dist(ms);
}

function listen(server: Server): Promise<number> {
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r((server.address() as AddressInfo).port)));
}

function get(port: number, path: string, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path, headers: { host }, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve());
    })
      .on("error", reject)
      .end();
  });
}

const lookup: LookupFn = async (host) => {
  if (host === "allowed.test" || host === "evil.test") return [{ address: "127.0.0.1", family: 4 }];
  throw new Error("ENOTFOUND");
};

export async function benchSandbox(runs = 30, requests = 1000) {
  const dir = mkdtempSync(join(tmpdir(), "warden-bench-sbx-"));
  const upstream = createServer((_req, res) => res.end("ok"));
  const upPort = await listen(upstream);
  const received: number[] = [];
  const receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received.push(performance.now());
      res.writeHead(204).end();
    });
  });
  const rxPort = await listen(receiver);
  const tcpProxy = new EgressProxy({ allow: ["allowed.test:*"], lookup });
  const { port: proxyPort } = await tcpProxy.start();
  try {
    const plain = await sample(runs, () => new Promise((r) => spawn("true").once("close", r)));
    const bwrap = await sample(runs, () => new BubblewrapRunner().run({ command: ["true"] }));
    const socketPath = join(dir, "proxy.sock");
    const unixProxy = new EgressProxy({ allow: ["allowed.test:*"], lookup, listen: { socketPath } });
    await unixProxy.start();
    const bwrapProxied = await sample(runs, () =>
      new BubblewrapRunner({ proxySocket: socketPath }).run({ command: ["true"] }),
    );
    await unixProxy.close();

    const direct = await sample(requests, () => get(upPort, "/", `allowed.test:${upPort}`), 100);
    const proxied = await sample(
      requests,
      () => get(proxyPort!, `http://allowed.test:${upPort}/`, `allowed.test:${upPort}`),
      100,
    );

    // Violation → run ended (tree dead) and → signed alert at the receiver.
    const toKilled: number[] = [];
    const toAlert: number[] = [];
    const alert = createAlertSender({
      webhook: { url: `http://127.0.0.1:${rxPort}/`, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
      recentRecords: () => [],
    });
    const violationRuns = Math.max(5, Math.floor(runs / 3));
    for (let i = 0; i < violationRuns; i++) {
      const sock = join(dir, `v${i}.sock`);
      const runner = new BubblewrapRunner({ proxySocket: sock });
      const ks = new KillSwitch({
        session: `ses_${i}`,
        tool: "bench",
        policy: "kill-session",
        target: runner,
        record: () => undefined,
        endSession: () => undefined,
        alert,
      });
      let at = 0;
      const proxy = new EgressProxy({
        allow: ["allowed.test:*"],
        lookup,
        listen: { socketPath: sock },
        onViolation: (v: EgressViolation) => {
          at = performance.now();
          return ks.onViolation(v);
        },
      });
      await proxy.start();
      const before = received.length;
      await runner.run({ command: ["sh", "-c", `curl -s http://evil.test:${upPort}/; sleep 30`] });
      toKilled.push(performance.now() - at);
      await ks.settled();
      if (received.length > before) toAlert.push(received[received.length - 1]! - at);
      await proxy.close();
    }
    return {
      runs,
      requests,
      plain,
      bwrap,
      bwrapProxied,
      direct,
      proxied,
      toKilled: dist(toKilled),
      toAlert: dist(toAlert),
      violationRuns,
    };
  } finally {
    await tcpProxy.close();
    upstream.close();
    receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function sandboxTable(r: Awaited<ReturnType<typeof benchSandbox>>): string {
  const ms = (v: number) => `${fmt(v, 2)} ms`;
  return table([
    ["measure", "p50", "p99", "target"],
    [`spawn \`true\`, no sandbox (${r.runs})`, ms(r.plain.p50), ms(r.plain.p99), ""],
    [`bwrap \`true\`, start to exit, no network (${r.runs})`, ms(r.bwrap.p50), ms(r.bwrap.p99), ""],
    [
      `  with the egress forwarder (socat) ready (${r.runs})`,
      ms(r.bwrapProxied.p50),
      ms(r.bwrapProxied.p99),
      "",
    ],
    [`HTTP GET on loopback, direct (${r.requests})`, ms(r.direct.p50), ms(r.direct.p99), ""],
    [`  through the egress proxy (${r.requests})`, ms(r.proxied.p50), ms(r.proxied.p99), ""],
    [
      `violation → process tree killed (${r.violationRuns})`,
      ms(r.toKilled.p50),
      ms(r.toKilled.p99),
      "≤ 100 ms",
    ],
    [`violation → signed alert delivered (${r.violationRuns})`, ms(r.toAlert.p50), ms(r.toAlert.p99), ""],
  ]);
}
