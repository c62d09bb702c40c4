// Contained execution per runtime (plain spawn, bubblewrap with and without seccomp, gVisor): start-to-exit,
// a GET through the egress proxy from inside, violation → process tree gone; proxy overhead; alert delivery.
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
  GvisorRunner,
  type Killable,
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

/** One contender: how to run argv with the egress proxy at `socketPath` (its TCP URL for plain spawn). */
interface Contender {
  name: string;
  run(
    argv: string[],
    proxy: { socketPath: string; url: string },
    target: (k: Killable) => void,
  ): Promise<unknown>;
}

/** Plain spawn: no isolation; the proxy reached over TCP; a kill ends the process group. */
const plainSpawn: Contender = {
  name: "plain spawn",
  run: (argv, proxy, target) =>
    new Promise((resolve) => {
      const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", http_proxy: proxy.url, HTTP_PROXY: proxy.url };
      const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: "ignore", env });
      target({
        kill: () => {
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch {}
        },
      });
      child.once("close", resolve);
    }),
};

function runnerContender(
  name: string,
  make: (socketPath: string) => BubblewrapRunner | GvisorRunner,
): Contender {
  return {
    name,
    run: (argv, proxy, target) => {
      const runner = make(proxy.socketPath);
      target(runner);
      return runner.run({ command: argv });
    },
  };
}

/** Start-to-exit of `true`, one loopback GET through the egress proxy from inside, violation → tree gone. */
export async function benchRuntimes(runs = 20) {
  const dir = mkdtempSync(join(tmpdir(), "warden-bench-rt-"));
  const upstream = createServer((_req, res) => res.end("ok"));
  const upPort = await listen(upstream);
  const contenders: Contender[] = [
    plainSpawn,
    runnerContender("bubblewrap", (s) => new BubblewrapRunner({ proxySocket: s, seccomp: false })),
    runnerContender("bubblewrap + seccomp", (s) => new BubblewrapRunner({ proxySocket: s })),
  ];
  if (GvisorRunner.available()) {
    contenders.push(runnerContender("gVisor (runsc, ptrace)", (s) => new GvisorRunner({ proxySocket: s })));
  }
  const rows: { name: string; start: Dist; get: Dist; gone: Dist }[] = [];
  try {
    for (const c of contenders) {
      const start: number[] = [];
      const get: number[] = [];
      const gone: number[] = [];
      for (let i = 0; i < runs + 2; i++) {
        // A fresh proxy per run, on a private socket (0666 in a 0700 folder, as Containment does).
        const sockDir = mkdtempSync(join(dir, "p-"));
        const socketPath = join(sockDir, "proxy.sock");
        let target: Killable = { kill: () => undefined };
        let violationAt = 0;
        const ks = new KillSwitch({
          session: "ses_bench",
          tool: "bench",
          policy: "kill-session",
          target: { kill: (reason) => target.kill(reason) },
          record: () => undefined,
          endSession: () => undefined,
        });
        const proxy = new EgressProxy({
          allow: [`allowed.test:${upPort}`],
          lookup,
          listen: { socketPath, mode: 0o666 },
          onViolation: (v: EgressViolation) => {
            violationAt = performance.now();
            return ks.onViolation(v);
          },
        });
        const tcp = new EgressProxy({
          allow: [`allowed.test:${upPort}`],
          lookup,
          onViolation: (v: EgressViolation) => {
            violationAt = performance.now();
            return ks.onViolation(v);
          },
        });
        const { url } = await tcp.start();
        await proxy.start();
        const via = { socketPath, url: url! };
        const set = (k: Killable) => {
          target = k;
        };
        const warm = i < 2;
        let t = performance.now();
        await c.run(["true"], via, set);
        if (!warm) start.push(performance.now() - t);
        let out = "";
        const timed = ["sh", "-c", `curl -s -o /dev/null -w '%{time_total}' http://allowed.test:${upPort}/`];
        if (c === plainSpawn) {
          t = performance.now();
          await new Promise((r) => {
            const child = spawn(timed[0]!, timed.slice(1), {
              env: { PATH: process.env.PATH ?? "/usr/bin:/bin", http_proxy: url! },
            });
            child.stdout.on("data", (d: Buffer) => {
              out += d.toString();
            });
            child.once("close", r);
          });
        } else {
          const runner = c.name.startsWith("gVisor")
            ? new GvisorRunner({ proxySocket: socketPath })
            : new BubblewrapRunner({ proxySocket: socketPath, seccomp: c.name.includes("seccomp") });
          out = (await runner.run({ command: timed })).stdout;
        }
        if (!warm) get.push(Number(out) * 1000);
        await c.run(["sh", "-c", `sleep 30 & curl -s http://evil.test:${upPort}/; sleep 30`], via, set);
        if (!warm) gone.push(performance.now() - violationAt);
        await ks.settled();
        await proxy.close();
        await tcp.close();
      }
      rows.push({ name: c.name, start: dist(start), get: dist(get), gone: dist(gone) });
    }
    return { runs, rows };
  } finally {
    upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function runtimesTable(r: Awaited<ReturnType<typeof benchRuntimes>>): string {
  const ms = (d: Dist) => `${fmt(d.p50, 2)} / ${fmt(d.p99, 2)} ms`;
  return table([
    [
      `runtime (${r.runs} runs each, p50 / p99)`,
      "`true` start to exit",
      "GET via egress proxy",
      "violation → tree gone",
    ],
    ...r.rows.map((row) => [row.name, ms(row.start), ms(row.get), ms(row.gone)]),
  ]);
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
