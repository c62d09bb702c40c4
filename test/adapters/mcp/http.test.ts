import { describe, expect, it, vi } from "vitest";
import { createToken, type TokenLimitOptions } from "../../../src/server/index.js";
import { openWarden } from "../../helpers.js";
import { busyRequest, closedOrAnswered } from "../../server/raw-connections.js";
import { EVERYTHING, gatewayFor, stdioServer } from "./helpers.js";

const INIT = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } },
});

const ACCEPT = "application/json, text/event-stream";

async function listening(tokenLimits: Partial<TokenLimitOptions> = {}, policy: Record<string, unknown> = {}) {
  const { warden } = await openWarden({ default: "allow", ...policy });
  const gateway = await gatewayFor(warden, { servers: [stdioServer("everything", EVERYTHING)] });
  const listener = await gateway.listen({ port: 0, tokenLimits });
  const post = (headers: Record<string, string>, path = "/mcp", body = INIT) =>
    fetch(new URL(path, listener.url), {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: ACCEPT,
        ...headers,
      },
      body,
    });
  return { warden, post, listener };
}

interface RpcError {
  jsonrpc: string;
  id: null;
  error: { code: number; message: string; data: { code: string } };
}

describe("warden mcp --listen errors", () => {
  it("answers refusals as JSON-RPC errors carrying Warden's code", async () => {
    const { warden, post } = await listening();
    const none = await post({});
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="warden"');
    const body = (await none.json()) as RpcError;
    expect(body).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600 } });
    expect(body.error.data.code).toBe("UNAUTHENTICATED");
    const { token } = await createToken(warden.ledger.store, { role: "approver", name: "ann@example.com" });
    const approver = await post({ authorization: `Bearer ${token}` });
    expect(approver.status).toBe(403);
    expect(((await approver.json()) as RpcError).error.data.code).toBe("FORBIDDEN");
    const elsewhere = await post({ authorization: `Bearer ${token}` }, "/v1/sessions");
    expect(elsewhere.status).toBe(404);
    expect(((await elsewhere.json()) as RpcError).error.message).toContain("/mcp");
  });

  it("says nothing of an unexpected failure", async () => {
    const { warden, post } = await listening();
    const { token } = await createToken(warden.ledger.store, { role: "agent", agent: "a" });
    // The store fails the way a broken database does, with a message that must not reach the client.
    warden.ledger.store.tokenByHash = async () => {
      throw new Error("database said: password marker-7f3a rejected");
    };
    const res = await post({ authorization: `Bearer ${token}` });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain("marker-7f3a");
    expect(JSON.parse(text)).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32603, message: "internal error", data: { code: "INTERNAL" } },
    });
  });

  it("refuses a request holding an integer it would round, answering that request", async () => {
    const { warden, post } = await listening();
    const { token } = await createToken(warden.ledger.store, { role: "agent", agent: "a" });
    const auth = { authorization: `Bearer ${token}` };
    const big = INIT.replace('"capabilities":{}', '"capabilities":{"n":-12345678901234567890}');
    const refused = await post(auth, "/mcp", big);
    expect(await refused.json()).toMatchObject({ jsonrpc: "2.0", id: 1, error: { code: -32602 } });
    expect(await warden.ledger.store.query({ kinds: ["session.start"] })).toEqual([]);
    expect((await post(auth)).status).toBe(200);
  });

  it("refuses a batch holding such an integer whole, answering each request in it", async () => {
    const { warden, post } = await listening();
    const { token } = await createToken(warden.ledger.store, { role: "agent", agent: "a" });
    const init = await post({ authorization: `Bearer ${token}` });
    const session = {
      authorization: `Bearer ${token}`,
      "mcp-session-id": String(init.headers.get("mcp-session-id")),
      "mcp-protocol-version": "2025-03-26",
    };
    await init.body?.cancel();
    const call = (id: number, args: string) =>
      `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":${args}}}`;
    const batch = `[${call(2, '{"message":"a","n":9007199254740993}')},${call(3, '{"message":"b"}')},{"jsonrpc":"2.0","method":"notifications/initialized"}]`;
    const refused = await post(session, "/mcp", batch);
    expect(await refused.json()).toEqual([
      { jsonrpc: "2.0", id: 2, error: { code: -32602, message: expect.stringMatching(/2\^53/) } },
      { jsonrpc: "2.0", id: 3, error: { code: -32602, message: expect.stringMatching(/2\^53/) } },
    ]);
    expect(await warden.ledger.store.query({ kinds: ["call.intent"] })).toEqual([]);
  });

  it("answers a message that is not JSON-RPC 2.0 with -32600 and its id, and a method it does not serve with 405", async () => {
    const { warden, post } = await listening();
    const { token } = await createToken(warden.ledger.store, { role: "agent", agent: "a" });
    const auth = { authorization: `Bearer ${token}` };
    const init = await post(auth);
    const session = { ...auth, "mcp-session-id": String(init.headers.get("mcp-session-id")) };
    await init.body?.cancel();
    const wrongVersion = await post(session, "/mcp", '{"jsonrpc":"1.0","id":7,"method":"ping"}');
    expect(wrongVersion.status).toBe(400);
    expect(await wrongVersion.json()).toMatchObject({ jsonrpc: "2.0", id: 7, error: { code: -32600 } });
    // Before any session too: an initialize without a method name is no initialize.
    const noMethod = await post(auth, "/mcp", '{"jsonrpc":"2.0","id":"x","params":{}}');
    expect(await noMethod.json()).toMatchObject({ id: "x", error: { code: -32600 } });
    const batch = await post(session, "/mcp", '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"id":2}]');
    expect(batch.status).toBe(400);
    expect(await batch.json()).toMatchObject([
      { id: 1, error: { code: -32600 } },
      { id: 2, error: { code: -32600 } },
    ]);
    expect(await (await post(session, "/mcp", "[]")).json()).toMatchObject({
      id: null,
      error: { code: -32600 },
    });
    for (const headers of [auth, session]) {
      const put = await fetch(new URL("/mcp", init.url), { method: "PUT", headers, body: "{}" });
      expect(put.status).toBe(405);
      expect(put.headers.get("allow")).toBe("GET, POST, DELETE");
      await put.body?.cancel();
    }
  });

  it("keeps per-token limits: requests in progress past maxInFlight get 429, other tokens are served", async () => {
    const { warden, post, listener } = await listening({ maxInFlight: 2 });
    const holder = (await createToken(warden.ledger.store, { role: "agent", agent: "a" })).token;
    const other = (await createToken(warden.ledger.store, { role: "agent", agent: "b" })).token;
    for (let i = 0; i < 2; i++) await busyRequest(listener.port, "/mcp", holder, { Accept: ACCEPT });
    await expectRefusedWhileOthersServed(post, holder, other);
  });

  it("refuses one token's flood of large messages once its byte budget is spent", async () => {
    const { warden, post } = await listening({ byteBurst: 64 * 1024, bytesPerSecond: 1 });
    const { token } = await createToken(warden.ledger.store, { role: "agent", agent: "a" });
    const big = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "ping",
      params: { pad: "x".repeat(20_000) },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await post({ authorization: `Bearer ${token}` }, "/mcp", big);
      statuses.push(res.status);
      await res.body?.cancel();
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);
  });

  it("takes maxConnections from the policy's mcp.listen: a third connection is closed while two requests are in progress", async () => {
    const { warden, listener } = await listening({}, { mcp: { listen: { maxConnections: 2 } } });
    expect(listener.connections.maxConnections).toBe(2);
    const { token } = await createToken(warden.ledger.store, { role: "agent", agent: "a" });
    for (let i = 0; i < 2; i++) await busyRequest(listener.port, "/mcp", token, { Accept: ACCEPT });
    expect(await closedOrAnswered(listener.port)).toBe("closed");
  });

  it("takes per-token budgets from the policy's mcp.listen.perToken: maxInFlight 1 refuses a second request in progress", async () => {
    const { warden, post, listener } = await listening(
      {},
      { mcp: { listen: { perToken: { maxInFlight: 1 } } } },
    );
    const holder = (await createToken(warden.ledger.store, { role: "agent", agent: "a" })).token;
    const other = (await createToken(warden.ledger.store, { role: "agent", agent: "b" })).token;
    await busyRequest(listener.port, "/mcp", holder, { Accept: ACCEPT });
    await expectRefusedWhileOthersServed(post, holder, other);
  });
});

/** `holder`'s next request gets 429 RATE_LIMITED (its requests in progress are at the cap); `other`'s is served. */
async function expectRefusedWhileOthersServed(
  post: (headers: Record<string, string>) => Promise<Response>,
  holder: string,
  other: string,
): Promise<void> {
  await vi.waitFor(async () => {
    const refused = await post({ authorization: `Bearer ${holder}` });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as RpcError).error.data.code).toBe("RATE_LIMITED");
  });
  const served = await post({ authorization: `Bearer ${other}` });
  expect(served.status).toBe(200);
  await served.body?.cancel();
}
