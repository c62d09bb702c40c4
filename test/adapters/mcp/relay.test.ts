// Nothing lost in the relay: every progress notification of every call reaches the client, over stdio and HTTP.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { describe, expect, it } from "vitest";
import { orderedDelivery } from "../../../src/adapters/mcp/ordered-delivery.js";
import { createToken } from "../../../src/server/index.js";
import { openWarden, tempDir } from "../../helpers.js";
import { CLI, connectClient, gatewayFor, PROGRESS, stdioServer } from "./helpers.js";

const CALLS = 200;

/**
 * Runs CALLS calls that each report progress 0/50/100 and counts what arrives. Against the server itself
 * an SDK client has the SDK's own ordering race, so the control's transport gets ordered delivery; the
 * clients of the gateway are plain SDK clients: the gateway keeps each result apart from the progress before it.
 */
async function progressCount(client: Client): Promise<number> {
  let received = 0;
  for (let i = 0; i < CALLS; i++) {
    const result = await client.callTool({ name: "work", arguments: {} }, undefined, {
      onprogress: () => {
        received++;
      },
    });
    expect(result.isError).toBeFalsy();
  }
  return received;
}

describe(`progress through the relay (${CALLS} calls, progress 0/50/100 each)`, () => {
  it("control: directly against the server, every notification arrives", async () => {
    const client = await connectClient(
      orderedDelivery(
        new StdioClientTransport({ command: process.execPath, args: [PROGRESS], stderr: "ignore" }),
      ),
    );
    expect(await progressCount(client)).toBe(CALLS * 3);
  });

  it("through warden mcp over stdio (the CLI): none lost", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "policy.yaml"), '{"default": "allow"}');
    const client = await connectClient(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI, "mcp", "--dir", dir, "--init", "--", process.execPath, PROGRESS],
        stderr: "ignore",
      }),
    );
    expect(await progressCount(client)).toBe(CALLS * 3);
  });

  it("through warden mcp over Streamable HTTP: none lost", async () => {
    const { warden } = await openWarden({ default: "allow" });
    const gateway = await gatewayFor(warden, { servers: [stdioServer("progress", PROGRESS)] });
    const url = new URL((await gateway.listen({ port: 0 })).url);
    const { token } = await createToken(warden.ledger.store, { role: "agent", agent: "a" });
    const client = await connectClient(
      new StreamableHTTPClientTransport(url, {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    expect(await progressCount(client)).toBe(CALLS * 3);
  });
});
