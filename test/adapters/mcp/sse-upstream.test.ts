// Upstreams on the older HTTP+SSE transport: named with type sse, or found by falling back when no type is given.
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import type { LaunchedServer } from "../../../src/adapters/mcp/index.js";
import { parsePolicy } from "../../../src/policy/index.js";
import { onCleanup, openWarden } from "../../helpers.js";
import { connectInMemory, gatewayFor, textOf } from "./helpers.js";

/** An MCP server that speaks only HTTP+SSE (GET /sse, POST /messages): anything else gets 405. */
async function sseServer(): Promise<string> {
  const transports = new Map<string, SSEServerTransport>();
  const http: HttpServer = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method === "GET" && url.pathname === "/sse") {
      const transport = new SSEServerTransport("/messages", res);
      transports.set(transport.sessionId, transport);
      const server = new Server({ name: "old", version: "1.0.0" }, { capabilities: { tools: {} } });
      server.setRequestHandler(ListToolsRequestSchema, () => ({
        tools: [{ name: "hello", description: "Says hello.", inputSchema: { type: "object" } }],
      }));
      server.setRequestHandler(CallToolRequestSchema, () => ({ content: [{ type: "text", text: "hello" }] }));
      await server.connect(transport);
      return;
    }
    const transport = transports.get(url.searchParams.get("sessionId") ?? "");
    if (req.method === "POST" && url.pathname === "/messages" && transport !== undefined) {
      await transport.handlePostMessage(req, res);
      return;
    }
    res.writeHead(405).end();
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}/sse`;
}

const urlServer = (url: string, sse: boolean | undefined): LaunchedServer => ({
  name: "old",
  command: null,
  env: {},
  cwd: null,
  url,
  headers: {},
  sandbox: null,
  ...(sse === undefined ? {} : { sse }),
});

describe("an HTTP+SSE upstream", () => {
  it.each([
    ["named as sse", true],
    ["given without a transport: found after Streamable HTTP is refused", undefined],
  ])("is reached when %s", async (_, sse) => {
    const { warden } = await openWarden({ default: "allow" });
    const gateway = await gatewayFor(warden, { servers: [urlServer(await sseServer(), sse)] });
    const client = await connectInMemory(gateway);
    expect(textOf(await client.callTool({ name: "hello", arguments: {} }))).toBe("hello");
  });

  it("is not tried when the transport is named http: the session's start fails", async () => {
    const { warden } = await openWarden({ default: "allow" });
    const gateway = await gatewayFor(warden, { servers: [urlServer(await sseServer(), false)] });
    await expect(connectInMemory(gateway)).rejects.toThrow(/upstream old unavailable/);
  });

  it("policy entries: a url with no type may fall back; http and sse are taken at their word", () => {
    const servers = parsePolicy(
      `mcp:
  servers:
    a: { url: "https://h/mcp" }
    b: { type: http, url: "https://h/mcp" }
    c: { type: sse, url: "https://h/sse" }
`,
      "p.yaml",
    ).mcp?.servers;
    expect(servers?.map((s) => [s.name, s.sse])).toEqual([
      ["a", undefined],
      ["b", false],
      ["c", true],
    ]);
  });
});
