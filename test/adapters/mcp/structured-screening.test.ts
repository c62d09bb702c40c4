// A tool with an outputSchema: its structuredContent still matches the schema after Warden masks secrets.
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import type { McpServerSpec } from "../../../src/adapters/mcp/index.js";
import { openWarden } from "../../helpers.js";
import { connectInMemory, eventually, gatewayFor, records } from "./helpers.js";
import { KEY } from "./screening-upstream.js";

const OUTPUT = {
  type: "object",
  properties: {
    keyId: { type: "string", pattern: "^[A-Z0-9]{2,20}$" },
    short: { type: "string", maxLength: 24 },
    pin: { type: "number" },
    note: { type: "string" },
  },
  required: ["keyId"],
};

function structuredUpstream(content: Record<string, unknown>): McpServerSpec {
  return {
    name: "structured",
    transport: () => {
      const [client, server] = InMemoryTransport.createLinkedPair();
      const upstream = new Server({ name: "structured", version: "1.0.0" }, { capabilities: { tools: {} } });
      upstream.setRequestHandler(ListToolsRequestSchema, () => ({
        tools: [{ name: "key_info", inputSchema: { type: "object" }, outputSchema: OUTPUT }],
      }));
      upstream.setRequestHandler(CallToolRequestSchema, () => ({
        content: [{ type: "text", text: JSON.stringify(content) }],
        structuredContent: content,
      }));
      void upstream.connect(server);
      return Promise.resolve(client);
    },
  };
}

async function setUp(content: Record<string, unknown>) {
  const { warden } = await openWarden({ default: "allow", secrets: { results: "redact", items: {} } });
  const gateway = await gatewayFor(warden, { servers: [structuredUpstream(content)] });
  const client = await connectInMemory(gateway);
  // The SDK Client validates structuredContent against the output schemas it listed.
  await client.listTools();
  return { warden, client };
}

describe("a tool with an outputSchema through the secrets screen", () => {
  it("passes structuredContent with nothing to mask as the upstream sent it", async () => {
    const { client } = await setUp({ keyId: "K1", pin: 7, note: "fine" });
    const result = await client.callTool({ name: "key_info", arguments: {} });
    expect(result.isError).toBeUndefined();
    expect(result.structuredContent).toEqual({ keyId: "K1", pin: 7, note: "fine" });
  });

  it("gives a masked result the client accepts: text only, marked, with nothing of the secret", async () => {
    const { warden, client } = await setUp({ keyId: KEY, short: `key ${KEY}`, note: "n" });
    const result = await client.callTool({ name: "key_info", arguments: {} });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
    expect(result._meta?.["warden/masked"]).toBe(true);
    expect(result._meta?.["warden/code"]).toBeUndefined();
    expect(JSON.stringify(result)).not.toContain(KEY);
    const texts = (result.content as { text: string }[]).map((c) => c.text).join("\n");
    expect(texts).toContain("output schema");
    expect(texts).toContain("[credential:aws-access-key]");
    // The tool ran: its outcome says so.
    const outcome = await eventually(async () => (await records(warden, "call.outcome"))[0]);
    expect(outcome.data).toMatchObject({ status: "ok", tool: "key_info" });
  });
});
