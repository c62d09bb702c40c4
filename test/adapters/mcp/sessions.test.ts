// Sessions that live all day: activity, idle HTTP sessions, clients that never send DELETE, clean ends upstream and down.
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SessionEventStore } from "../../../src/adapters/mcp/event-store.js";
import { createToken } from "../../../src/server/index.js";
import { openWarden } from "../../helpers.js";
import {
  CHANGING,
  codeOf,
  connectClient,
  connectInMemory,
  eventually,
  gatewayFor,
  records,
  stdioServer,
  textOf,
} from "./helpers.js";

const WITH_RESOURCES = { FIXTURE_PROMPT_DESC: "Summarises the notes." };
const http = (url: URL, token: string) =>
  new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } });

afterEach(() => {
  vi.useRealTimers();
});

async function endReasons(warden: Parameters<typeof records>[0]): Promise<unknown[]> {
  return (await records(warden, "session.end")).map((r) => r.data.reason);
}

describe("gateway sessions", () => {
  it("counts every request as activity: a client that only reads resources is not ended as idle", async () => {
    // Before Warden opens: its session registry takes its clock (Date.now) when it is created.
    vi.useFakeTimers({ toFake: ["Date"] });
    const { warden } = await openWarden({ default: "allow", sessions: { idleTimeout: "10s" } });
    const gateway = await gatewayFor(warden, {
      servers: [stdioServer("changing", CHANGING, [], WITH_RESOURCES)],
    });
    const client = await connectInMemory(gateway);
    for (let i = 0; i < 4; i++) {
      vi.setSystemTime(Date.now() + 8_000);
      expect((await client.readResource({ uri: "mem://notes" })).contents).toHaveLength(1);
      await warden.sessions.sweep();
    }
    expect(await endReasons(warden)).toEqual([]);
    vi.setSystemTime(Date.now() + 11_000);
    await warden.sessions.sweep();
    expect(await endReasons(warden)).toEqual(["idle"]);
    await expect(client.readResource({ uri: "mem://notes" })).rejects.toThrow();
  });

  it("records `gateway stopped` for every session when the gateway stops", async () => {
    const { warden } = await openWarden({ default: "allow" });
    const gateway = await gatewayFor(warden, { servers: [stdioServer("changing", CHANGING)] });
    const url = new URL((await gateway.listen({ port: 0 })).url);
    const { token } = await createToken(warden.ledger.store, { role: "agent", agent: "a" });
    await connectClient(http(url, token));
    await connectInMemory(gateway);
    await gateway.close();
    expect(await endReasons(warden)).toEqual(["gateway stopped", "gateway stopped"]);
  });
});

describe("HTTP sessions a client abandons", () => {
  it("lets a client that reconnects 17 times without DELETE keep working (default limit 16 per token)", async () => {
    const { warden } = await openWarden({ default: "allow" });
    const gateway = await gatewayFor(warden, { servers: [stdioServer("changing", CHANGING)] });
    const url = new URL((await gateway.listen({ port: 0 })).url);
    const { token } = await createToken(warden.ledger.store, { role: "agent", agent: "a" });
    for (let i = 0; i < 17; i++) {
      const client = await connectClient(http(url, token));
      expect(textOf(await client.callTool({ name: "greet", arguments: { name: `n${i}` } }))).toBe(
        `Hello, n${i}!`,
      );
      await client.close();
    }
    const ended = await eventually(async () => {
      const reasons = await endReasons(warden);
      return reasons.length > 0 ? reasons : undefined;
    });
    expect(ended).toEqual(["replaced: the token reached mcp.maxSessionsPerToken"]);
    expect(gateway.sessions.size).toBe(16);
  });

  it("ends a session nothing is connected to after mcp.idleTimeout, but not one whose client is still there", async () => {
    const { warden } = await openWarden({ default: "allow", mcp: { idleTimeout: "5m" } });
    const gateway = await gatewayFor(warden, { servers: [stdioServer("changing", CHANGING)] });
    const listener = await gateway.listen({ port: 0 });
    const url = new URL(listener.url);
    const { token } = await createToken(warden.ledger.store, { role: "agent", agent: "a" });
    const live = await connectClient(http(url, token));
    const gone = await connectClient(http(url, token));
    await gone.callTool({ name: "count", arguments: {} });
    await gone.close();
    expect(await listener.closeIdle(Date.now() + 60_000)).toBe(0);
    const ended = await eventually(async () => {
      const n = await listener.closeIdle(Date.now() + 6 * 60_000);
      return n > 0 ? n : undefined;
    });
    expect(ended).toBe(1);
    expect(await endReasons(warden)).toEqual(["idle timeout"]);
    expect(textOf(await live.callTool({ name: "greet", arguments: { name: "still here" } }))).toBe(
      "Hello, still here!",
    );
  });

  it("has an idle timeout by default (30 min), so abandoned sessions do not pile up", async () => {
    const { warden } = await openWarden({ default: "allow" });
    const gateway = await gatewayFor(warden, { servers: [stdioServer("changing", CHANGING)] });
    const listener = await gateway.listen({ port: 0 });
    const { token } = await createToken(warden.ledger.store, { role: "agent", agent: "a" });
    const gone = await connectClient(http(new URL(listener.url), token));
    await gone.callTool({ name: "count", arguments: {} });
    await gone.close(); // the SDK's close sends no DELETE
    expect(await listener.closeIdle(Date.now() + 29 * 60_000)).toBe(0);
    // Its stream closes a moment after the client goes; from then on it is idle.
    const ended = await eventually(async () => {
      const n = await listener.closeIdle(Date.now() + 31 * 60_000);
      return n > 0 ? n : undefined;
    });
    expect(ended).toBe(1);
    expect(await endReasons(warden)).toEqual(["idle timeout"]);
  });

  it("ends every session a token holds on request (a revoked token)", async () => {
    const { warden } = await openWarden({ default: "allow" });
    const gateway = await gatewayFor(warden, { servers: [stdioServer("changing", CHANGING)] });
    const listener = await gateway.listen({ port: 0 });
    const url = new URL(listener.url);
    const revoked = await createToken(warden.ledger.store, { role: "agent", agent: "a" });
    const kept = await createToken(warden.ledger.store, { role: "agent", agent: "a" });
    await connectClient(http(url, revoked.token));
    await connectClient(http(url, revoked.token));
    const other = await connectClient(http(url, kept.token));
    expect(await listener.endSessionsOf(revoked.id, "token revoked")).toBe(2);
    expect(await endReasons(warden)).toEqual(["token revoked", "token revoked"]);
    expect(textOf(await other.callTool({ name: "greet", arguments: { name: "x" } }))).toBe("Hello, x!");
  });

  it("revoking a token (from any process) ends the MCP sessions it holds, their upstreams with them; other tokens' go on", async () => {
    const { warden } = await openWarden({ default: "allow" });
    const gateway = await gatewayFor(warden, { servers: [stdioServer("changing", CHANGING)] });
    const listener = await gateway.listen({ port: 0 });
    const url = new URL(listener.url);
    const store = warden.ledger.store;
    const revoked = await createToken(store, { role: "agent", agent: "a" });
    const kept = await createToken(store, { role: "agent", agent: "a" });
    const gone = await connectClient(http(url, revoked.token));
    const other = await connectClient(http(url, kept.token));
    expect(await listener.endRevoked()).toBe(0);
    // As `warden token revoke` does, possibly from another process.
    expect(await store.revokeToken(revoked.id, new Date().toISOString())).toBe(true);
    expect(await listener.endRevoked()).toBe(1);
    expect(await endReasons(warden)).toEqual(["token revoked"]);
    await expect(gone.callTool({ name: "greet", arguments: { name: "x" } })).rejects.toThrow();
    // The cached lookup of the revoked token is gone too: a new session is refused.
    await expect(connectClient(http(url, revoked.token))).rejects.toThrow();
    expect(textOf(await other.callTool({ name: "greet", arguments: { name: "y" } }))).toBe("Hello, y!");
  });

  it("ends the upstream's Streamable HTTP session (DELETE) when a gateway session ends", async () => {
    const { warden: inner } = await openWarden({ default: "allow" });
    const innerGateway = await gatewayFor(inner, { servers: [stdioServer("changing", CHANGING)] });
    const innerUrl = (await innerGateway.listen({ port: 0 })).url;
    const { token } = await createToken(inner.ledger.store, { role: "agent", agent: "a" });
    const { warden: outer } = await openWarden({ default: "allow" });
    const front = await gatewayFor(outer, {
      servers: [
        {
          name: "inner",
          command: null,
          env: {},
          cwd: null,
          url: innerUrl,
          headers: { authorization: `Bearer ${token}` },
          sandbox: null,
        },
      ],
    });
    const client = await connectInMemory(front);
    expect(textOf(await client.callTool({ name: "greet", arguments: { name: "hop" } }))).toBe("Hello, hop!");
    await client.close();
    await eventually(async () => (await endReasons(outer)).length > 0);
    expect(await eventually(async () => (await endReasons(inner))[0])).toBe("client disconnected");
    await eventually(async () => innerGateway.sessions.size === 0);
  });
});

describe("mcp.maxResultBytes", () => {
  it("refuses an upstream result over the cap with a clear error and an outcome record", async () => {
    const { warden } = await openWarden({ default: "allow", mcp: { maxResultBytes: 64 * 1024 } });
    const gateway = await gatewayFor(warden, {
      servers: [stdioServer("changing", CHANGING, [], { FIXTURE_BIG: "1" })],
    });
    const client = await connectInMemory(gateway);
    expect(textOf(await client.callTool({ name: "big", arguments: { bytes: 10_000 } }))).toHaveLength(10_000);
    const refused = await client.callTool({ name: "big", arguments: { bytes: 200_000 } });
    expect(refused.isError).toBe(true);
    expect(codeOf(refused)).toBe("RESULT_TOO_LARGE");
    expect(textOf(refused)).toMatch(/more than mcp.maxResultBytes \(65536\)/);
    const outcomes = await eventually(async () => {
      const all = await records(warden, "call.outcome");
      return all.length === 2 ? all : undefined;
    });
    expect(outcomes.map((o) => o.data.status)).toEqual(["ok", "error"]);
    expect(outcomes[1]?.data.error).toMatchObject({ code: "RESULT_TOO_LARGE" });
  });

  it("holds for every result relayed, a resource read too", async () => {
    const { warden } = await openWarden({ default: "allow", mcp: { maxResultBytes: 64 * 1024 } });
    const gateway = await gatewayFor(warden, {
      servers: [
        stdioServer("changing", CHANGING, [], {
          FIXTURE_PROMPT_DESC: "Sums up.",
          FIXTURE_NOTES_BYTES: "200000",
        }),
      ],
    });
    const client = await connectInMemory(gateway);
    const refused = await client.readResource({ uri: "mem://notes" }).catch((err: unknown) => err);
    expect(refused).toMatchObject({
      data: { code: "RESULT_TOO_LARGE", size: expect.any(Number), limit: 65536 },
    });
    expect(String(refused)).toMatch(/more than mcp.maxResultBytes \(65536\)/);
  });
});

describe("resumable HTTP streams", () => {
  /** Reads SSE events from a response until `stop` says enough; the connection is then dropped. */
  async function readEvents(
    response: Response,
    stop: (events: { id?: string; data: string }[]) => boolean,
  ): Promise<{ id?: string; data: string }[]> {
    const events: { id?: string; data: string }[] = [];
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    while (!stop(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: { id?: string; data: string } = { data: "" };
        for (const line of block.split("\n")) {
          if (line.startsWith("id:")) event.id = line.slice(3).trim();
          if (line.startsWith("data:")) event.data += line.slice(5).trim();
        }
        events.push(event);
        if (stop(events)) break;
      }
    }
    await reader.cancel().catch(() => undefined);
    return events;
  }

  it("gives SSE events ids and replays what a client missed after Last-Event-ID", async () => {
    const { warden } = await openWarden({ default: "allow" });
    const gateway = await gatewayFor(warden, { servers: [stdioServer("changing", CHANGING)] });
    const url = new URL((await gateway.listen({ port: 0 })).url);
    const { token } = await createToken(warden.ledger.store, { role: "agent", agent: "a" });
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-11-25",
    };
    const post = (body: unknown) => fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
    const init = await post({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
    });
    headers["mcp-session-id"] = String(init.headers.get("mcp-session-id"));
    await readEvents(init, (events) => events.some((e) => e.data.includes('"id":0')));
    await (await post({ jsonrpc: "2.0", method: "notifications/initialized" })).body?.cancel();

    const call = await post({
      jsonrpc: "2.0",
      id: 7,
      method: "tools/call",
      params: { name: "greet", arguments: { name: "again" } },
    });
    // The client reads only the first event (it carries an id), then its connection drops.
    const first = await readEvents(call, (events) => events.length >= 1);
    const lastEventId = first[0]?.id;
    expect(lastEventId).toMatch(/^\d+$/);

    // Until the gateway has seen the drop, the stream is still connected (409), as for any client retrying.
    const resumed = await eventually(async () => {
      const response = await fetch(url, {
        method: "GET",
        headers: { ...headers, accept: "text/event-stream", "last-event-id": String(lastEventId) },
      });
      if (response.status === 200) return response;
      expect(response.status).toBe(409);
      await response.body?.cancel();
      return undefined;
    });
    const replayed = await readEvents(resumed, (events) => events.some((e) => e.data.includes('"id":7')));
    const result = replayed.find((e) => e.data.includes('"id":7'));
    expect(result?.id).toMatch(/^\d+$/);
    expect(JSON.parse(result?.data ?? "{}").result.content[0].text).toBe("Hello, again!");
  });
});

describe("SessionEventStore", () => {
  it("keeps the newest events within its limits and replays only the same stream", async () => {
    const store = new SessionEventStore({ events: 3, bytes: 1024 * 1024 });
    const msg = (id: number) => ({ jsonrpc: "2.0" as const, id, result: {} });
    const ids = [];
    for (let i = 1; i <= 5; i++) ids.push(await store.storeEvent(i % 2 === 0 ? "b" : "a", msg(i)));
    expect(await store.getStreamIdForEventId(String(ids[0]))).toBeUndefined();
    expect(await store.getStreamIdForEventId(String(ids[2]))).toBe("a");
    const sent: unknown[] = [];
    const stream = await store.replayEventsAfter(String(ids[2]), {
      send: async (_id, m) => void sent.push((m as { id: number }).id),
    });
    expect(stream).toBe("a");
    expect(sent).toEqual([5]);
  });
});
