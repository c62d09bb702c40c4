// The downstream stdio transport keeps a response out of the read that carries the notifications before it.
import { PassThrough } from "node:stream";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it, vi } from "vitest";
import { StdioDownstream } from "../../../src/adapters/mcp/stdio-transport.js";

/** A transport over in-memory streams, and the lines it writes, parsed. */
async function pair() {
  const input = new PassThrough();
  const output = new PassThrough();
  const written: Record<string, unknown>[] = [];
  output.on("data", (chunk: Buffer) => {
    for (const line of chunk
      .toString("utf8")
      .split("\n")
      .filter((l) => l !== ""))
      written.push(JSON.parse(line));
  });
  const transport = new StdioDownstream(input, output, 1024 * 1024);
  const received: JSONRPCMessage[] = [];
  transport.onmessage = (m) => received.push(m);
  await transport.start();
  return { input, transport, written, received };
}

const progress: JSONRPCMessage = {
  jsonrpc: "2.0",
  method: "notifications/progress",
  params: { progressToken: 1, progress: 100 },
};
const result: JSONRPCMessage = { jsonrpc: "2.0", id: 1, result: { content: [] } };
const tick = () => new Promise((r) => setImmediate(r));

describe("StdioDownstream: a response after notifications", () => {
  it("waits until the client has answered a ping sent after them; the answer is not passed on", async () => {
    const { input, transport, written, received } = await pair();
    await transport.send(progress);
    const sent = transport.send(result);
    await tick();
    expect(written.map((m) => m.method ?? m.id)).toEqual(["notifications/progress", "ping"]);
    const ping = written[1] as { id: string };
    input.write(`${JSON.stringify({ jsonrpc: "2.0", id: ping.id, result: {} })}\n`);
    await sent;
    await tick();
    expect(written.at(-1)).toEqual(result);
    expect(received).toEqual([]);
  });

  it("a response with no notification before it goes out at once", async () => {
    const { transport, written } = await pair();
    await transport.send(result);
    await tick();
    expect(written).toEqual([result]);
  });

  it("a client that never answers the ping gets the response after the wait, and is not asked again", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const { transport, written } = await pair();
      await transport.send(progress);
      const sent = transport.send(result);
      await vi.advanceTimersByTimeAsync(1_000);
      await sent;
      await transport.send(progress);
      await transport.send({ ...result, id: 2 });
      await tick();
      expect(written.map((m) => m.method ?? m.id)).toEqual([
        "notifications/progress",
        "ping",
        1,
        "notifications/progress",
        2,
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("closing releases a response waiting for the ping, without writing it", async () => {
    const { transport, written } = await pair();
    await transport.send(progress);
    const sent = transport.send(result);
    await tick();
    await transport.close();
    await sent;
    expect(written.map((m) => m.method ?? m.id)).toEqual(["notifications/progress", "ping"]);
  });
});
