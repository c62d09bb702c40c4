// Bad peers never crash the gateway: malformed input, unknown methods, oversized lines, dying, hanging and vanishing peers.
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../../src/ledger/index.js";
import { Warden } from "../../../src/warden.js";
import { onCleanup, openWarden } from "../../helpers.js";
import { alive } from "../../sandbox/fixtures.js";
import {
  CHANGING,
  codeOf,
  connectInMemory,
  eventually,
  gatewayFor,
  records,
  stdioServer,
  textOf,
} from "./helpers.js";
import { call, INIT, INITIALIZED, rawStdio } from "./raw.js";

const ALLOW = { default: "allow" };

describe("a bad downstream client", () => {
  it("gets the right JSON-RPC error for unreadable, invalid, unknown, early and oversized messages", async () => {
    const { warden } = await openWarden(ALLOW);
    const gateway = await gatewayFor(warden, {
      servers: [stdioServer("changing", CHANGING)],
      maxMessageBytes: 64 * 1024,
    });
    const peer = rawStdio(gateway);
    peer.send(call(1, "greet"));
    expect(await peer.answer(1)).toMatchObject({ error: { code: -32002 } });
    peer.send(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping" }));
    expect(await peer.answer(2)).toMatchObject({ result: {} });
    peer.send(INIT);
    expect(await peer.answer("init")).toMatchObject({ result: { serverInfo: { name: "changing" } } });
    peer.send(INITIALIZED);
    peer.send("{this is not json");
    expect(await peer.answer(null)).toMatchObject({ error: { code: -32700 } });
    peer.send(JSON.stringify({ jsonrpc: "1.0", id: 3, method: "tools/list" }));
    expect(await peer.answer(3)).toMatchObject({ error: { code: -32600 } });
    peer.send(JSON.stringify({ jsonrpc: "2.0", id: 4, method: "no/such/method" }));
    expect(await peer.answer(4)).toMatchObject({ error: { code: -32601 } });
    peer.send(JSON.stringify({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: 7 } }));
    expect(await peer.answer(5)).toMatchObject({ error: { code: -32602 } });
    peer.send(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 6,
        method: "tools/call",
        params: { name: "greet", arguments: "nope" },
      }),
    );
    expect(await peer.answer(6)).toMatchObject({ error: { code: -32602 } });
    // With one upstream a cursor is the upstream's own, passed through verbatim: the upstream judges it.
    peer.send(JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/list", params: { cursor: "forged" } }));
    expect(await peer.answer(7)).toHaveProperty("jsonrpc", "2.0");
    // An integer JSON.parse would round: the tool would run with another number than the client sent.
    peer.send(call("big", "greet", { name: "x" }).replace('"name":"x"', '"name":"x","n":9007199254740993'));
    expect(await peer.answer("big")).toMatchObject({ error: { code: -32602, message: /2\^53/ } });
    expect(await records(warden, "call.intent")).toEqual([]);
    peer.send(call(8, "greet", { name: "x".repeat(100 * 1024) }));
    expect(await peer.answer(null)).toMatchObject({ error: { code: -32600 } });
    peer.send(call(9, "greet", { name: "still here" }));
    expect(await peer.answer(9)).toMatchObject({ result: { content: [{ text: "Hello, still here!" }] } });
    peer.end();
    await peer.closed;
    expect((await records(warden, "session.end"))[0]?.data.reason).toBe("client disconnected");
  });

  it("disconnecting mid-call ends the session and the call still gets an outcome record", async () => {
    const { warden } = await openWarden(ALLOW);
    const gateway = await gatewayFor(warden, { servers: [stdioServer("changing", CHANGING)] });
    const peer = rawStdio(gateway);
    peer.send(INIT);
    await peer.answer("init");
    peer.send(INITIALIZED);
    peer.send(call(1, "hang"));
    await eventually(async () => (await records(warden, "call.intent")).length === 1);
    peer.end();
    await peer.closed;
    const outcome = await eventually(async () => (await records(warden, "call.outcome"))[0]);
    expect(outcome.data).toMatchObject({ tool: "hang", status: "error" });
    expect(await records(warden, "session.end")).toHaveLength(1);
  });
});

describe("a bad upstream server", () => {
  it("that hangs: the call times out with -32001 and an UPSTREAM_TIMEOUT outcome", async () => {
    const { warden } = await openWarden(ALLOW);
    const gateway = await gatewayFor(warden, {
      servers: [stdioServer("changing", CHANGING)],
      requestTimeoutMs: 300,
    });
    const client = await connectInMemory(gateway);
    await expect(client.callTool({ name: "hang", arguments: {} })).rejects.toMatchObject({ code: -32001 });
    const outcome = await eventually(async () => (await records(warden, "call.outcome"))[0]);
    expect(outcome.data.error).toEqual({ code: "UPSTREAM_TIMEOUT" });
  });

  it("that dies mid-call: the call fails with a JSON-RPC error, gets an outcome, and the session ends cleanly", async () => {
    const { warden } = await openWarden(ALLOW);
    const gateway = await gatewayFor(warden, { servers: [stdioServer("changing", CHANGING)] });
    const client = await connectInMemory(gateway);
    await expect(client.callTool({ name: "crash", arguments: {} })).rejects.toMatchObject({ code: -32000 });
    const outcome = await eventually(async () => (await records(warden, "call.outcome"))[0]);
    expect(outcome.data.error).toEqual({ code: "UPSTREAM_CLOSED" });
    const end = await eventually(async () => (await records(warden, "session.end"))[0]);
    expect(end.data.reason).toBe("upstream closed");
  });

  it("that cannot start: initialize fails with an error naming the upstream, and nothing is left open", async () => {
    const { warden } = await openWarden(ALLOW);
    const gateway = await gatewayFor(warden, {
      servers: [
        {
          name: "missing",
          command: ["/no/such/binary"],
          env: {},
          cwd: null,
          url: null,
          headers: {},
          sandbox: null,
        },
      ],
    });
    const peer = rawStdio(gateway);
    peer.send(INIT);
    const answer = await peer.answer("init");
    expect(answer).toMatchObject({ error: { code: -32603, data: { code: "MCP_UPSTREAM_UNAVAILABLE" } } });
    await peer.closed;
    expect((await records(warden, "session.end"))[0]?.data.reason).toBe("initialize failed");
  });
});

describe("the ledger", () => {
  it("fails closed: an intent that cannot be recorded is refused with LEDGER_UNAVAILABLE and never forwarded", async () => {
    const store = new MemoryStore();
    const warden = await Warden.open({ policy: ALLOW, db: store });
    onCleanup(() => warden.close());
    const gateway = await gatewayFor(warden, { servers: [stdioServer("changing", CHANGING)] });
    const client = await connectInMemory(gateway);
    await client.listTools();
    store.failNext(1);
    const refused = await client.callTool({ name: "count", arguments: {} });
    expect(refused.isError).toBe(true);
    expect(codeOf(refused)).toBe("LEDGER_UNAVAILABLE");
    // The upstream never saw that call: its own counter says this is its first.
    expect(textOf(await client.callTool({ name: "count", arguments: {} }))).toBe("1");
  });
});

describe("a session ended elsewhere", () => {
  it("closes the connection and its upstreams; a call in flight is cancelled and gets its outcome", async () => {
    const { warden } = await openWarden(ALLOW);
    const errors: unknown[] = [];
    const gateway = await gatewayFor(warden, {
      servers: [stdioServer("changing", CHANGING)],
      onError: (err) => errors.push(err),
    });
    const client = await connectInMemory(gateway);
    const closed = new Promise<void>((resolve) => {
      client.onclose = () => resolve();
    });
    const pending = client.callTool({ name: "hang", arguments: {} }).catch((err: unknown) => err);
    await eventually(async () => (await records(warden, "call.intent")).length === 1);
    const [open] = [...gateway.sessions];
    // An admin, an idle timeout or a violation in another process: the same end record.
    await warden.sessions.end(open!.session.id, "ended by an admin");
    await closed;
    await eventually(async () => gateway.sessions.size === 0);
    expect(open!.upstreams.every((u) => !u.alive)).toBe(true);
    const outcome = await eventually(async () => (await records(warden, "call.outcome"))[0]);
    expect(outcome.data).toMatchObject({ tool: "hang", status: "error" });
    expect((await records(warden, "session.end")).map((r) => r.data.reason)).toEqual(["ended by an admin"]);
    await pending;
    // Closed once: no second shutdown trying to end the ended session.
    expect(errors).toEqual([]);
  });
});

describe("a session whose client or Warden session goes while it opens", () => {
  /** A stdio upstream that starts only after `gate` resolves, so a test can act while it starts. */
  function slowUpstream(gate: Promise<void>, started: StdioClientTransport[]) {
    return {
      name: "slow",
      transport: async () => {
        await gate;
        const t = new StdioClientTransport({ command: process.execPath, args: [CHANGING], stderr: "ignore" });
        started.push(t);
        return t;
      },
    };
  }

  it("stops the upstreams of a session its client left while they were starting", async () => {
    const { warden } = await openWarden(ALLOW);
    let go!: () => void;
    const started: StdioClientTransport[] = [];
    const gateway = await gatewayFor(warden, {
      servers: [slowUpstream(new Promise<void>((r) => (go = r)), started)],
    });
    const [clientSide, gatewaySide] = InMemoryTransport.createLinkedPair();
    const { gate, closed } = gateway.attach(gatewaySide);
    await gate.listen();
    await clientSide.start();
    await clientSide.send(JSON.parse(INIT) as JSONRPCMessage);
    await eventually(async () => (await records(warden, "session.start")).length === 1);
    await clientSide.close();
    go();
    await closed;
    expect(gateway.sessions.size).toBe(0);
    expect(started).toHaveLength(1);
    expect(started[0]!.pid === null || !alive(started[0]!.pid)).toBe(true);
    expect(await records(warden, "session.end")).toHaveLength(1);
  });

  it("fails the initialize and stops the upstreams when the Warden session ends meanwhile", async () => {
    const { warden } = await openWarden(ALLOW);
    let go!: () => void;
    const started: StdioClientTransport[] = [];
    const errors: unknown[] = [];
    const gateway = await gatewayFor(warden, {
      servers: [slowUpstream(new Promise<void>((r) => (go = r)), started)],
      onError: (err) => errors.push(err),
    });
    const connecting = connectInMemory(gateway).catch((err: unknown) => err);
    const start = await eventually(async () => (await records(warden, "session.start"))[0]);
    await warden.sessions.end(start.session!, "ended by an admin");
    go();
    expect(await connecting).toMatchObject({ message: expect.stringMatching(/ended while it was opening/) });
    await eventually(async () => gateway.sessions.size === 0 && started.length === 1);
    await eventually(async () => started[0]!.pid === null || !alive(started[0]!.pid));
    expect((await records(warden, "session.end")).map((r) => r.data.reason)).toEqual(["ended by an admin"]);
    expect(errors).toEqual([]);
  });
});
