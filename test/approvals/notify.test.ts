// Approval notifications against real HTTP receivers that verify Standard Webhooks signatures.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  type ApprovalEvent,
  ApprovalNotifier,
  type ApprovalNotifierOptions,
  type NotifyEntry,
} from "../../src/approvals/notify.js";
import { onCleanup } from "../helpers.js";

const SECRET = `whsec_${randomBytes(24).toString("base64")}`;
const EVENT: ApprovalEvent = {
  approvalId: "apr_1",
  callId: "call_1",
  session: "ses_1",
  agent: "support-bot",
  data: { id: "apr_1", tool: "send_email", links: { approve: "https://warden.example/approvals/apr_1" } },
};

interface Received {
  id: string;
  body: { type: string; timestamp: string; data: unknown };
}

/** A receiver on 127.0.0.1 that verifies each request, then lets `answer` reply (or not, to hang). */
class Receiver {
  readonly received: Received[] = [];
  readonly rejected: string[] = [];
  answer: (res: ServerResponse, n: number) => void = (res) => res.writeHead(204).end();
  readonly server: Server;
  #arrived: (() => void)[] = [];

  constructor(secret = SECRET) {
    const verifier = new Webhook(secret);
    this.server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        try {
          const payload = Buffer.concat(chunks).toString("utf8");
          const body = verifier.verify(payload, req.headers as Record<string, string>) as Received["body"];
          this.received.push({ id: String(req.headers["webhook-id"]), body });
        } catch (err) {
          this.rejected.push((err as Error).message);
          res.writeHead(401).end();
          return;
        }
        for (const f of this.#arrived.splice(0)) f();
        this.answer(res, this.received.length);
      });
    });
    onCleanup(() => this.stop());
  }

  async listen(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, "127.0.0.1", resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/approvals`;
  }

  /** Resolves once `n` verified requests have arrived. */
  async arrived(n: number): Promise<void> {
    while (this.received.length < n) await new Promise<void>((r) => this.#arrived.push(r));
  }

  async stop(): Promise<void> {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Collects record() entries; `settled` resolves when one of them is final (delivered or gave_up). */
function recorder(hook?: (e: NotifyEntry) => Promise<void> | void) {
  const entries: NotifyEntry[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const record = async (e: NotifyEntry) => {
    entries.push(e);
    await hook?.(e);
    const done = entries.filter((x) => x.status !== "failed").length;
    for (const w of waiters.filter((w) => done >= w.n)) w.resolve();
  };
  /** Resolves when `n` deliveries have ended (delivered or gave up). */
  const settled = (n = 1) =>
    new Promise<void>((resolve) => {
      if (entries.filter((x) => x.status !== "failed").length >= n) resolve();
      else waiters.push({ n, resolve });
    });
  return { entries, record, settled };
}

function notifier(
  o: Partial<ApprovalNotifierOptions> & Pick<ApprovalNotifierOptions, "webhooks" | "record">,
) {
  const n = new ApprovalNotifier({ baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 5000, ...o });
  onCleanup(() => n.close());
  return n;
}

const base = { approvalId: "apr_1", callId: "call_1", session: "ses_1", agent: "support-bot" };

describe("ApprovalNotifier", () => {
  it("POSTs a signed approval.requested body the receiver verifies, and records the delivery", async () => {
    const rx = await new Receiver().listen();
    const { entries, record, settled } = recorder();
    notifier({ webhooks: [{ name: "bot", url: rx.url, secret: SECRET }], record }).notify(EVENT);
    await settled();
    expect(rx.rejected).toEqual([]);
    expect(rx.received).toHaveLength(1);
    expect(rx.received[0]!.body).toMatchObject({ type: "approval.requested", data: EVENT.data });
    expect(Number.isNaN(Date.parse(rx.received[0]!.body.timestamp))).toBe(false);
    expect(entries).toEqual([
      { ...base, webhook: "bot", attempt: 1, status: "delivered", httpStatus: 204, error: null },
    ]);
  });

  it("retries 500s with the same webhook-id, records each attempt, never the response body", async () => {
    const rx = await new Receiver().listen();
    rx.answer = (res, n) =>
      n < 3 ? res.writeHead(500).end("db password is hunter2") : res.writeHead(200).end();
    const { entries, record, settled } = recorder();
    notifier({ webhooks: [{ name: "bot", url: rx.url, secret: SECRET }], record }).notify(EVENT);
    await settled();
    expect(rx.received).toHaveLength(3);
    expect(new Set(rx.received.map((r) => r.id)).size).toBe(1);
    expect(entries.map((e) => [e.attempt, e.status, e.httpStatus, e.error])).toEqual([
      [1, "failed", 500, "http_500"],
      [2, "failed", 500, "http_500"],
      [3, "delivered", 200, null],
    ]);
    expect(JSON.stringify(entries)).not.toContain("hunter2");
  });

  it("waits the Retry-After a busy receiver names, never past maxDelayMs", async () => {
    const rx = await new Receiver().listen();
    const at: number[] = [];
    rx.answer = (res, n) => {
      at.push(Date.now());
      if (n === 1) res.writeHead(503, { "retry-after": "1" }).end();
      else if (n === 2) res.writeHead(429, { "retry-after": "3600" }).end();
      else res.writeHead(204).end();
    };
    const { record, settled } = recorder();
    notifier({
      webhooks: [{ name: "bot", url: rx.url, secret: SECRET }],
      record,
      maxDelayMs: 1500,
    }).notify(EVENT);
    await settled();
    expect(rx.received).toHaveLength(3);
    // The first wait is the receiver's second (the back-off alone is a few ms); the hour is cut to 1.5 s.
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(950);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(1400);
    expect(at[2]! - at[1]!).toBeLessThan(10_000);
  });

  it("retries a refused connection until the receiver is up, with the same webhook-id", async () => {
    // A port nobody listens on: take one, then free it.
    const probe = await new Receiver().listen();
    const port = (probe.server.address() as AddressInfo).port;
    const url = probe.url;
    await probe.stop();
    const rx = new Receiver();
    // The receiver starts while the first failure is being recorded (record is awaited before the back-off).
    const { entries, record, settled } = recorder(async (e) => {
      if (e.attempt === 1) await rx.listen(port);
    });
    notifier({ webhooks: [{ name: "bot", url, secret: SECRET }], record }).notify(EVENT);
    await settled();
    expect(entries.map((e) => [e.attempt, e.status, e.httpStatus, e.error])).toEqual([
      [1, "failed", null, "ECONNREFUSED"],
      [2, "delivered", 204, null],
    ]);
    expect(rx.received).toHaveLength(1);
  });

  it("gives up at once on a 400, and after the last attempt on 503s", async () => {
    const refuses = await new Receiver().listen();
    refuses.answer = (res) => res.writeHead(400).end();
    const down = await new Receiver().listen();
    down.answer = (res) => res.writeHead(503).end();
    const { entries, record, settled } = recorder();
    notifier({
      webhooks: [
        { name: "refuses", url: refuses.url, secret: SECRET },
        { name: "down", url: down.url, secret: SECRET },
      ],
      record,
      attempts: 3,
    }).notify(EVENT);
    await settled(2);
    const of = (name: string) =>
      entries.filter((e) => e.webhook === name).map((e) => [e.attempt, e.status, e.httpStatus, e.error]);
    expect(of("refuses")).toEqual([[1, "gave_up", 400, "http_400"]]);
    expect(of("down")).toEqual([
      [1, "failed", 503, "http_503"],
      [2, "failed", 503, "http_503"],
      [3, "gave_up", 503, "http_503"],
    ]);
    // One id per approval and webhook: the two receivers never see the same one.
    expect(refuses.received[0]!.id).not.toBe(down.received[0]!.id);
  });

  it("notify() returns before a hanging receiver answers; a timeout is retried; close() aborts", async () => {
    const rx = await new Receiver().listen();
    rx.answer = () => {}; // never answers
    const { entries, record, settled } = recorder();
    const n = notifier({
      webhooks: [{ name: "bot", url: rx.url, secret: SECRET }],
      record,
      timeoutMs: 100,
      closeTimeoutMs: 10,
    });
    expect(n.notify(EVENT)).toBeUndefined();
    expect(rx.received).toHaveLength(0);
    expect(entries).toEqual([]);
    await rx.arrived(2); // the first attempt timed out and was retried with the same id
    expect(entries[0]).toMatchObject({ attempt: 1, status: "failed", httpStatus: null, error: "timeout" });
    expect(rx.received[0]!.id).toBe(rx.received[1]!.id);
    await n.close();
    await settled();
    expect(entries.at(-1)).toMatchObject({
      status: "gave_up",
      error: expect.stringMatching(/^(aborted|timeout)$/),
    });
  });

  it("close() ends back-off waits and records that the notification gave up; later notify() gives up at once", async () => {
    const rx = await new Receiver().listen();
    rx.answer = (res) => res.writeHead(502).end();
    const { entries, record, settled } = recorder();
    const n = notifier({
      webhooks: [{ name: "bot", url: rx.url, secret: SECRET }],
      record,
      baseDelayMs: 3_600_000,
      maxDelayMs: 3_600_000,
    });
    n.notify(EVENT);
    await rx.arrived(1);
    await new Promise<void>((resolve) => {
      const poll = () => (entries.length > 0 ? resolve() : setImmediate(poll));
      poll();
    });
    await n.close();
    await settled();
    expect(entries.map((e) => [e.attempt, e.status, e.error])).toEqual([
      [1, "failed", "http_502"],
      [2, "gave_up", "closed"],
    ]);
    n.notify({ ...EVENT, approvalId: "apr_2" });
    await settled(2);
    expect(entries.at(-1)).toMatchObject({
      approvalId: "apr_2",
      attempt: 1,
      status: "gave_up",
      error: "closed",
    });
    expect(rx.received).toHaveLength(1);
  });

  it("a receiver holding another secret rejects the signature (recorded as a refusal)", async () => {
    const rx = await new Receiver(`whsec_${randomBytes(24).toString("base64")}`).listen();
    const { entries, record, settled } = recorder();
    notifier({ webhooks: [{ name: "bot", url: rx.url, secret: SECRET }], record }).notify(EVENT);
    await settled();
    expect(rx.rejected).toHaveLength(1);
    expect(entries).toEqual([
      { ...base, webhook: "bot", attempt: 1, status: "gave_up", httpStatus: 401, error: "http_401" },
    ]);
  });

  it("a failing record() does not stop delivery", async () => {
    const rx = await new Receiver().listen();
    rx.answer = (res, n) => res.writeHead(n < 2 ? 500 : 204).end();
    const seen: NotifyEntry[] = [];
    notifier({
      webhooks: [{ name: "bot", url: rx.url, secret: SECRET }],
      record: (e) => {
        seen.push(e);
        throw new Error("ledger down");
      },
    }).notify(EVENT);
    await rx.arrived(2);
    await new Promise<void>((resolve) => {
      const poll = () => (seen.length >= 2 ? resolve() : setImmediate(poll));
      poll();
    });
    expect(seen.map((e) => e.status)).toEqual(["failed", "delivered"]);
  });

  it("accepts only http(s) URLs and a well-formed secret, never quoting the secret", () => {
    const record = () => {};
    for (const url of ["file:///etc/passwd", "ftp://example.com/", "not a url", "javascript:alert(1)"]) {
      expect(() => new ApprovalNotifier({ webhooks: [{ name: "x", url, secret: SECRET }], record })).toThrow(
        expect.objectContaining({ code: "INVALID_REQUEST" }),
      );
    }
    const bad = "whsec_!!!not-base64-hunter2";
    let err: unknown;
    try {
      new ApprovalNotifier({ webhooks: [{ name: "x", url: "https://example.com/", secret: bad }], record });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: "INVALID_REQUEST" });
    expect(String(err)).not.toContain("hunter2");
  });
});
