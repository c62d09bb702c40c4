import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BubblewrapRunner, EgressProxy, InProcessRunner } from "../../src/sandbox/index.js";
import { onCleanup, tempDir } from "../helpers.js";
import {
  alive,
  cmdlinesHolding,
  descendants,
  fixedLookup,
  localServer,
  runsProgram,
  until,
} from "./fixtures.js";

const available = BubblewrapRunner.available();
if (!available) console.warn("bwrap or socat is missing: the bubblewrap tests are skipped");

describe.skipIf(!available)("BubblewrapRunner", () => {
  it("reads /usr, cannot see /root, /home or the Warden folder, writes only to its work folder", async () => {
    const secret = join("/root", `warden-sbx-secret-${process.pid}`);
    writeFileSync(secret, "top secret");
    onCleanup(() => rmSync(secret, { force: true }));
    const work = tempDir();
    const r = await new BubblewrapRunner().run({
      workDir: work,
      command: [
        "sh",
        "-c",
        [
          "head -c 20 /usr/lib/os-release >/dev/null && echo usr-ok",
          `cat ${secret} 2>/dev/null && echo secret-read`,
          `cat ${join(process.cwd(), "package.json")} >/dev/null 2>&1 && echo repo-read`,
          "ls /root /home >/dev/null 2>&1 && echo home-listed",
          "touch /usr/x /etc/x /x 2>/dev/null && echo outside-written",
          "echo hi > /work/out.txt && echo work-ok",
          "echo t > /tmp/t && echo tmp-ok",
          "id -u",
          "env | sort | tr '\\n' ' '",
        ].join("\n"),
      ],
      env: { GREETING: "hello" },
    });
    expect(r.exitCode).toBe(0);
    expect(r.killed).toBeNull();
    const lines = r.stdout.trim().split("\n");
    expect(lines.slice(0, 4)).toEqual(["usr-ok", "work-ok", "tmp-ok", "65534"]);
    expect(r.stdout).not.toContain("secret");
    expect(r.stdout).not.toContain("repo-read");
    expect(r.stdout).not.toContain("home-listed");
    expect(r.stdout).not.toContain("outside-written");
    expect(r.stdout).toContain("GREETING=hello");
    expect(r.stdout).not.toMatch(/ (HOSTNAME|USER|SSH_|NODE_)/);
    expect(readFileSync(join(work, "out.txt"), "utf8")).toBe("hi\n");
  });

  it("keeps environment values off every command line while the command runs", async () => {
    const token = `tok-${randomBytes(16).toString("hex")}`;
    const work = tempDir();
    const handle = new BubblewrapRunner().start({
      workDir: work,
      env: { API_TOKEN: token },
      // Holds the token, says so through a file, and stays running until the test has looked.
      command: [
        "sh",
        "-c",
        'printf %s "$API_TOKEN" > /work/seen.tmp && mv /work/seen.tmp /work/seen; while [ ! -e /work/stop ]; do sleep 0.01; done',
      ],
    });
    expect(await until(() => existsSync(join(work, "seen")), 10_000)).toBe(true);
    expect(readFileSync(join(work, "seen"), "utf8")).toBe(token);
    expect(alive(handle.pid!)).toBe(true);
    expect(cmdlinesHolding(token)).toEqual([]);
    writeFileSync(join(work, "stop"), "");
    expect((await handle.done).exitCode).toBe(0);
  });

  it.skipIf(process.getuid?.() !== 0)("is not the host's root when Warden runs as root", async () => {
    const shared = tempDir();
    chmodSync(shared, 0o755);
    writeFileSync(join(shared, "root-only.key"), "root key", { mode: 0o600 });
    const work = tempDir();
    const r = await new BubblewrapRunner({ readOnly: [shared] }).run({
      workDir: work,
      command: [
        "sh",
        "-c",
        [
          // Opening a host sysctl for writing writes nothing; a root-mapped sandbox could (kernel.core_pattern).
          "true 2>/dev/null >> /proc/sys/kernel/core_pattern && echo sysctl-writable",
          `cat ${join(shared, "root-only.key")} 2>/dev/null`,
          "touch /work/made && echo made",
        ].join("\n"),
      ],
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("made\n");
    expect(statSync(join(work, "made")).uid).toBe(65534);
  });

  it("has no network: a local server is unreachable without the proxy", async () => {
    const server = await localServer();
    const r = await new BubblewrapRunner().run({
      command: ["curl", "-sS", "--max-time", "2", "--noproxy", "*", `http://127.0.0.1:${server.port}/`],
    });
    expect(r.exitCode).not.toBe(0);
    expect(server.seen).toHaveLength(0);
  });

  it("reaches an allowed host through the proxy and is refused for others", async () => {
    const server = await localServer();
    const dir = tempDir();
    const socketPath = join(dir, "proxy.sock");
    const proxy = new EgressProxy({
      allow: ["allowed.test:*"],
      lookup: fixedLookup({ "allowed.test": "127.0.0.1", "evil.test": "127.0.0.1" }),
      listen: { socketPath },
    });
    await proxy.start();
    onCleanup(() => proxy.close());
    const r = await new BubblewrapRunner({ proxySocket: socketPath }).run({
      command: [
        "sh",
        "-c",
        `curl -sS http://allowed.test:${server.port}/in; echo; curl -s -o /dev/null -w '%{http_code}' http://evil.test:${server.port}/`,
      ],
    });
    expect(r.stdout).toBe(`ok /in\n403`);
    expect(server.seen.map((s) => s.url)).toEqual(["/in"]);
    expect(proxy.violations).toBe(1);
  });

  it("kills the whole tree on timeout", async () => {
    const started = performance.now();
    const run = new BubblewrapRunner().start({
      command: ["sh", "-c", "sleep 30 & sleep 30; echo never"],
      limits: { timeoutMs: 300 },
    });
    expect(await until(() => descendants(run.pid!).length >= 4, 2000)).toBe(true);
    const tree = descendants(run.pid!);
    const r = await run.done;
    expect(r.killed).toBe("timeout");
    expect(r.stdout).toBe("");
    expect(performance.now() - started).toBeLessThan(2000);
    expect(await until(() => tree.every((p) => !alive(p)), 100)).toBe(true);
  });

  it("kill(reason) on the runner ends every run in progress", async () => {
    const runner = new BubblewrapRunner();
    const a = runner.start({ command: ["sleep", "30"] });
    const b = runner.start({ command: ["sleep", "30"] });
    // Both are in progress once their `sleep` runs inside the sandbox.
    expect(await until(() => runsProgram(a.pid!, "sleep") && runsProgram(b.pid!, "sleep"), 5000)).toBe(true);
    runner.kill("session ended");
    expect((await a.done).killed).toBe("session ended");
    expect((await b.done).killed).toBe("session ended");
  });

  it("enforces the memory, CPU, file-size and output limits", async () => {
    const runner = new BubblewrapRunner();
    const [mem, cpu, out, fsize] = await Promise.all([
      runner.run({
        command: ["awk", 'BEGIN { s = "xxxxxxxxxxxxxxxx"; while (1) s = s s; }'],
        limits: { memoryBytes: 64 * 1024 * 1024, timeoutMs: 10_000 },
      }),
      runner.run({
        command: ["sh", "-c", "while :; do :; done"],
        limits: { cpuSeconds: 1, timeoutMs: 10_000 },
      }),
      runner.run({ command: ["head", "-c", "5000000", "/dev/zero"], limits: { maxOutputBytes: 1000 } }),
      runner.run({
        command: ["sh", "-c", "head -c 100000 /dev/zero > /work/big; echo $?"],
        limits: { fileSizeBytes: 10_000 },
      }),
    ]);
    // RLIMIT_AS: the allocation fails inside the command long before the wall clock.
    expect(mem.exitCode).not.toBe(0);
    expect(mem.killed).toBeNull();
    expect(mem.durationMs).toBeLessThan(5000);
    expect(cpu.killed).toBe("cpu");
    expect(cpu.signal).toBe("SIGXCPU");
    expect(out).toMatchObject({ killed: "output_limit", truncated: true });
    expect(out.stdout.length).toBe(1000);
    expect(fsize.stdout.trim()).not.toBe("0");
  });

  it("bounds the processes a command may have: a fork bomb's forks fail inside it", async () => {
    const runner = new BubblewrapRunner();
    // 100 background sleeps against a limit of 40: the ones past it cannot be forked.
    const forks =
      "n=0; for i in $(seq 1 100); do (sleep 5) 2>/dev/null & n=$((n+1)); done; sleep 0.2; ps -e 2>/dev/null | wc -l";
    const [bounded, usual] = await Promise.all([
      runner.run({ command: ["sh", "-c", forks], limits: { processes: 40, timeoutMs: 10_000 } }),
      runner.run({ command: ["sh", "-c", "(sleep 0.1) & (sleep 0.1) & wait; echo ok"] }),
    ]);
    expect(bounded.killed).toBeNull();
    expect(bounded.stderr).toMatch(/fork/i);
    // The default leaves room for ordinary work.
    expect(usual.stdout.trim()).toBe("ok");
  });

  it("fails closed on a bad spec and on a missing bwrap", async () => {
    const runner = new BubblewrapRunner();
    expect(() => runner.start({ command: [] })).toThrow(expect.objectContaining({ code: "SANDBOX_INVALID" }));
    expect(() => runner.start({ command: ["true"], env: { PATH: "/evil" } })).toThrow(
      expect.objectContaining({ code: "SANDBOX_INVALID" }),
    );
    expect(() => runner.start({ command: ["true"], limits: { timeoutMs: -1 } })).toThrow(
      expect.objectContaining({ code: "SANDBOX_INVALID" }),
    );
    await expect(
      new BubblewrapRunner({ bwrap: "/nonexistent/bwrap" }).run({ command: ["true"] }),
    ).rejects.toMatchObject({
      code: "SANDBOX_UNAVAILABLE",
    });
  });

  it("removes a fresh work folder after the run", async () => {
    const root = tempDir();
    chmodSync(root, 0o711); // run as root, bwrap enters it as the unprivileged sandbox user
    const r = await new BubblewrapRunner({ workRoot: root }).run({
      command: ["sh", "-c", "echo x > f; pwd"],
    });
    expect(r.stdout.trim()).toBe("/work");
    expect(existsSync(root) && readFileSync("/proc/self/mounts", "utf8").length > 0).toBe(true);
    const { readdirSync } = await import("node:fs");
    expect(readdirSync(root)).toEqual([]);
  });
});

describe("InProcessRunner", () => {
  it("runs a function with the same result shape, and kills on timeout and output cap", async () => {
    const runner = new InProcessRunner();
    expect(
      await runner.run({
        fn: ({ stdout }) => {
          stdout("hi\n");
          return 3;
        },
      }),
    ).toMatchObject({ exitCode: 3, stdout: "hi\n", killed: null });
    const slow = await runner.run({
      fn: ({ signal }) => new Promise((r) => signal.addEventListener("abort", () => r(0))),
      limits: { timeoutMs: 50 },
    });
    expect(slow.killed).toBe("timeout");
    const loud = await runner.run({
      fn: ({ stdout }) => void stdout("x".repeat(100)),
      limits: { maxOutputBytes: 10 },
    });
    expect(loud).toMatchObject({ killed: "output_limit", truncated: true, stdout: "x".repeat(10) });
    expect(await runner.run({ fn: () => Promise.reject(new Error("boom")) })).toMatchObject({
      exitCode: 1,
      stderr: "boom\n",
    });
  });
});
