// The Streamable HTTP side's standalone stream: what the gateway sends a client outside any request
// (an upstream's notifications, its own requests) waits for the client's GET stream instead of being
// written to no stream at all.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  ListRootsRequestSchema,
  ListRootsResultSchema,
  ListToolsRequestSchema,
  type Notification,
} from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import type { McpServerSpec } from "../../../src/adapters/mcp/index.js";
import { createToken } from "../../../src/server/index.js";
import { onCleanup, openWarden } from "../../helpers.js";
import { eventually, gatewayFor } from "./helpers.js";

/** An upstream that, as soon as it is initialized, says its tools changed and asks for the client's roots. */
function eagerUpstream(roots: unknown[]): McpServerSpec {
  return {
    name: "eager",
    transport: () => {
      const [client, server] = InMemoryTransport.createLinkedPair();
      const upstream = new Server({ name: "eager", version: "1.0.0" }, { capabilities: { tools: {} } });
      upstream.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [] }));
      upstream.oninitialized = () => {
        void upstream.sendToolListChanged();
        void upstream.request({ method: "roots/list" }, ListRootsResultSchema).then(
          (r) => roots.push(...r.roots),
          (err: unknown) => roots.push(String(err)),
        );
      };
      void upstream.connect(server);
      return Promise.resolve(client);
    },
  };
}

describe("warden mcp --listen: the standalone GET stream", () => {
  it("delivers what an upstream sends as it starts once the client's GET stream is open", async () => {
    const { warden } = await openWarden({ default: "allow" });
    const upstreamSaw: unknown[] = [];
    const gateway = await gatewayFor(warden, { servers: [eagerUpstream(upstreamSaw)] });
    const listener = await gateway.listen({ port: 0 });
    const { token } = await createToken(warden.ledger.store, { role: "agent", agent: "a" });
    const transport = new StreamableHTTPClientTransport(new URL(listener.url), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    });
    const client = new Client({ name: "eager-test", version: "1.0.0" }, { capabilities: { roots: {} } });
    const notes: Notification[] = [];
    client.fallbackNotificationHandler = async (n) => {
      notes.push(n);
    };
    client.setRequestHandler(ListRootsRequestSchema, () => ({
      roots: [{ uri: "file:///work", name: "work" }],
    }));
    onCleanup(() => client.close());
    await client.connect(transport);
    expect(await eventually(async () => upstreamSaw.length > 0 && upstreamSaw)).toEqual([
      { uri: "file:///work", name: "work" },
    ]);
    expect(notes.map((n) => n.method)).toContain("notifications/tools/list_changed");
  });
});
