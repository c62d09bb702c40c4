// Direct requests to an upstream keep what the SDK client did for a forwarded call: ids the upstream
// answers, progress under the request's own token, the timeout, cancellation told to the upstream,
// error responses as McpError, and a closed connection failing what still waits.
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { type JSONRPCMessage, McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DirectRequests } from "../../../src/adapters/mcp/direct-requests.js";

/** A transport that keeps what is sent on it. */
function recording(fail?: Error) {
  const sent: Record<string, unknown>[] = [];
  const transport: Transport = {
    start: async () => undefined,
    close: async () => undefined,
    send: async (message: JSONRPCMessage) => {
      if (fail) throw fail;
      sent.push(message as unknown as Record<string, unknown>);
    },
  };
  return { transport, sent, direct: new DirectRequests(transport) };
}

const response = (id: unknown, result: unknown): JSONRPCMessage =>
  ({ jsonrpc: "2.0", id, result }) as JSONRPCMessage;

afterEach(() => {
  vi.useRealTimers();
});

describe("DirectRequests", () => {
  it("sends a request with its own id and resolves with the result the upstream sent", async () => {
    const { direct, sent } = recording();
    const result = direct.request("tools/call", { name: "echo" }, { timeout: 1_000 });
    await Promise.resolve();
    expect(sent).toHaveLength(1);
    const [request] = sent;
    expect(request).toMatchObject({ jsonrpc: "2.0", method: "tools/call", params: { name: "echo" } });
    expect(typeof request?.id).toBe("number");
    // Another message (the SDK client's own response) is not claimed.
    expect(direct.claim(response(0, {}))).toBe(false);
    expect(direct.claim(response(request?.id, { content: [], extra: 1 }))).toBe(true);
    await expect(result).resolves.toEqual({ content: [], extra: 1 });
    // A duplicate response is no longer ours.
    expect(direct.claim(response(request?.id, {}))).toBe(false);
  });

  it("relays progress under its own token, before a result read after it, and restarts the timeout", async () => {
    vi.useFakeTimers();
    const { direct, sent } = recording();
    const seen: unknown[] = [];
    const result = direct.request(
      "tools/call",
      { name: "slow", _meta: { trace: "t" } },
      { timeout: 1_000, resetTimeoutOnProgress: true, onprogress: (p) => seen.push(p) },
    );
    await Promise.resolve();
    const id = sent[0]?.id;
    expect(sent[0]?.params).toEqual({ name: "slow", _meta: { trace: "t", progressToken: id } });
    for (const progress of [50, 100]) {
      await vi.advanceTimersByTimeAsync(800);
      const note = {
        jsonrpc: "2.0",
        method: "notifications/progress",
        params: { progressToken: id, progress },
      };
      expect(direct.claim(note as JSONRPCMessage)).toBe(true);
    }
    expect(seen).toEqual([{ progress: 50 }, { progress: 100 }]);
    direct.claim(response(id, {}));
    await expect(result).resolves.toEqual({});
    // Progress of another token goes on to the SDK client.
    const other = {
      jsonrpc: "2.0",
      method: "notifications/progress",
      params: { progressToken: 7, progress: 1 },
    };
    expect(direct.claim(other as JSONRPCMessage)).toBe(false);
  });

  it("times out with RequestTimeout and tells the upstream the request is cancelled", async () => {
    vi.useFakeTimers();
    const { direct, sent } = recording();
    const result = direct.request("tools/call", { name: "hang" }, { timeout: 500 });
    const caught = result.catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(501);
    const err = await caught;
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(-32001);
    expect(sent[1]).toMatchObject({
      method: "notifications/cancelled",
      params: { requestId: sent[0]?.id },
    });
    // The late answer is not ours any more.
    expect(direct.claim(response(sent[0]?.id, {}))).toBe(false);
  });

  it("cancels on the caller's abort, with the abort's reason", async () => {
    const { direct, sent } = recording();
    const controller = new AbortController();
    const result = direct.request(
      "tools/call",
      { name: "hang" },
      { signal: controller.signal, timeout: 60_000 },
    );
    const reason = new McpError(-32001, "client cancelled");
    controller.abort(reason);
    await expect(result).rejects.toBe(reason);
    expect(sent.at(-1)).toMatchObject({
      method: "notifications/cancelled",
      params: { requestId: sent[0]?.id },
    });
    // An already aborted signal sends nothing.
    const before = sent.length;
    await expect(direct.request("x", undefined, { signal: controller.signal })).rejects.toBe(reason);
    expect(sent).toHaveLength(before);
  });

  it("turns an error response into an McpError and a non-object result into a failure", async () => {
    const { direct, sent } = recording();
    const failing = direct.request("tools/call", { name: "a" }, {});
    const odd = direct.request("tools/call", { name: "b" }, {});
    await Promise.resolve();
    direct.claim({
      jsonrpc: "2.0",
      id: sent[0]?.id,
      error: { code: -32602, message: "bad", data: { why: 1 } },
    } as JSONRPCMessage);
    direct.claim(response(sent[1]?.id, [1, 2]));
    const err = (await failing.catch((e: unknown) => e)) as McpError;
    expect(err).toBeInstanceOf(McpError);
    expect([err.code, err.data]).toEqual([-32602, { why: 1 }]);
    const broken = await odd.catch((e: unknown) => e);
    expect(broken).not.toBeInstanceOf(McpError);
    expect(String(broken)).toMatch(/not an object/);
  });

  it("fails what still waits when the connection closes, and refuses new requests", async () => {
    const { direct } = recording();
    const waiting = direct.request("tools/call", { name: "a" }, {});
    direct.close();
    await expect(waiting).rejects.toMatchObject({ code: -32000 });
    await expect(direct.request("tools/call", {}, {})).rejects.toMatchObject({ code: -32000 });
  });

  it("fails a request its transport could not send", async () => {
    const { direct } = recording(new Error("pipe closed"));
    await expect(direct.request("tools/call", {}, {})).rejects.toThrow("pipe closed");
  });
});
