// Connections a client opens and leaves idle, or fills slowly, cannot lock other clients out.
import { connect, type Socket } from "node:net";
import { describe, expect, it, vi } from "vitest";
import { createToken, startServer } from "../../src/server/index.js";
import { onCleanup, openWarden, PLAIN_POLICY } from "../helpers.js";
import { busyRequest, closedOrAnswered } from "./raw-connections.js";

/** A raw connection to the server, its close noticed. */
function open(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const closed = new Promise<void>((done) => socket.once("close", () => done()));
    socket.on("error", () => undefined);
    socket.once("connect", () => resolve({ socket, closed }));
    socket.once("error", reject);
    onCleanup(() => void socket.destroy());
  });
}

const isClosed = (p: Promise<void>) =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 50))]);

async function healthz(url: string): Promise<number> {
  return (await fetch(`${url}/healthz`)).status;
}

describe("connection limits", () => {
  it("keeps at most maxConnections open: idle ones give way to new clients, a request in progress is kept", async () => {
    const { warden } = await openWarden(PLAIN_POLICY);
    const server = await startServer(warden, {
      port: 0,
      connections: { maxConnections: 8, headersTimeoutMs: 60_000, requestTimeoutMs: 60_000 },
    });
    onCleanup(() => server.close());
    const token = (await createToken(warden.ledger.store, { role: "agent", agent: "slow-bot" })).token;

    // A request whose body is still coming: the server is at work on it, it stays.
    const busy = await open(server.port);
    busy.socket.write(
      `POST /v1/decisions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
    );
    await new Promise((r) => setTimeout(r, 200));
    // Thirty connections sending their headers a line at a time, never finishing them.
    const slow = [];
    for (let i = 0; i < 30; i++) {
      const c = await open(server.port);
      c.socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      slow.push(c);
    }
    // Someone else is still answered.
    expect(await healthz(server.url)).toBe(200);
    expect(await healthz(server.url)).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    const open_ = (await Promise.all(slow.map((c) => isClosed(c.closed)))).filter((closed) => !closed);
    // The in-progress request and the newest idle connections, within the limit.
    expect(open_.length).toBeLessThanOrEqual(7);
    expect(await isClosed(busy.closed)).toBe(false);
  });

  it("closes a connection whose headers do not arrive within headersTimeoutMs", async () => {
    const { warden } = await openWarden(PLAIN_POLICY);
    const server = await startServer(warden, {
      port: 0,
      connections: { headersTimeoutMs: 300, requestTimeoutMs: 60_000 },
    });
    onCleanup(() => server.close());
    const c = await open(server.port);
    c.socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    // A header line every 100 ms: each keeps the socket busy, none completes the request.
    const drip = setInterval(() => c.socket.write("x-a: b\r\n"), 100);
    onCleanup(() => clearInterval(drip));
    // Generous: node checks every half of headersTimeoutMs; its default would be 60 s, checked every 30 s.
    await expect(Promise.race([c.closed.then(() => "closed"), sleep(10_000, "open")])).resolves.toBe(
      "closed",
    );
  });

  it("closes a request whose body does not arrive within requestTimeoutMs", async () => {
    const { warden } = await openWarden(PLAIN_POLICY);
    const server = await startServer(warden, {
      port: 0,
      connections: { headersTimeoutMs: 300, requestTimeoutMs: 600 },
    });
    onCleanup(() => server.close());
    const token = (await createToken(warden.ledger.store, { role: "agent", agent: "slow-bot" })).token;
    const c = await open(server.port);
    c.socket.write(
      `POST /v1/decisions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
        "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{",
    );
    let answer = "";
    c.socket.on("data", (d: Buffer) => {
      answer += d.toString();
    });
    const drip = setInterval(() => c.socket.write(" "), 100);
    onCleanup(() => clearInterval(drip));
    await expect(Promise.race([c.closed.then(() => "closed"), sleep(10_000, "open")])).resolves.toBe(
      "closed",
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe("connection limits from the policy's server: section", () => {
  it("maxConnections: 2 closes a third connection while two requests are in progress", async () => {
    const { warden } = await openWarden({ ...PLAIN_POLICY, server: { maxConnections: 2 } });
    const server = await startServer(warden, { port: 0 });
    onCleanup(() => server.close());
    expect(server.connections.maxConnections).toBe(2);
    const token = (await createToken(warden.ledger.store, { role: "agent", agent: "slow-bot" })).token;
    const held = [];
    for (let i = 0; i < 2; i++) held.push(await busyRequest(server.port, "/v1/decisions", token));
    // Both in progress: the third has no idle connection to take the place of, and is closed unanswered.
    expect(await closedOrAnswered(server.port)).toBe("closed");
    // One of them ends: the next connection is answered.
    held[0]?.destroy();
    await vi.waitFor(async () => expect(await closedOrAnswered(server.port)).toMatch(/^HTTP\/1\.1 200/));
  });
});

function sleep<T>(ms: number, value: T): Promise<T> {
  return new Promise((r) => setTimeout(() => r(value), ms));
}
