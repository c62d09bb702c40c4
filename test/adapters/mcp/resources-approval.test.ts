// prompts/get and resources/read serve only what is approved now, whatever this gateway listed before:
// each request reviews the item's current listed definition against the pins in the ledger.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { approvePin } from "../../../src/adapters/mcp/index.js";
import { openWarden, tempDir } from "../../helpers.js";
import {
  connectInMemory,
  gatewayFor,
  RESOURCES,
  records,
  requestsSeen,
  servedText,
  stdioServer,
} from "./helpers.js";

const ALLOW_ALL = { default: "allow" };

/** A fresh gateway (its own reviewer, as a new process has) over one resource server. */
async function fresh(warden: Parameters<typeof gatewayFor>[0], env: Record<string, string>) {
  const gateway = await gatewayFor(warden, { servers: [stdioServer("rs", RESOURCES, [], env)] });
  return { gateway, client: await connectInMemory(gateway) };
}

describe("prompts and resources: approval checked on every get and read", () => {
  it("refuses a changed prompt and resource in a gateway that never listed them", async () => {
    const { warden } = await openWarden(ALLOW_ALL);
    const log = join(tempDir(), "seen.log");
    const first = await fresh(warden, { RS_LOG: log });
    await first.client.listPrompts();
    await first.client.listResources();
    await first.gateway.close();

    const second = await fresh(warden, { RS_LOG: log, RS_VERSION: "2" });
    await expect(second.client.getPrompt({ name: "summarise" })).rejects.toMatchObject({
      data: { code: "MCP_TOOL_BLOCKED" },
      message: expect.stringMatching(/Warden refused prompt summarise on server rs: it changed/),
    });
    await expect(second.client.readResource({ uri: "rs://rs/notes" })).rejects.toMatchObject({
      data: { code: "MCP_TOOL_BLOCKED" },
    });
    // Completing the changed prompt's arguments sends the user's typing to it just the same.
    await expect(
      second.client.complete({
        ref: { type: "ref/prompt", name: "summarise" },
        argument: { name: "topic", value: "q" },
      }),
    ).rejects.toMatchObject({ data: { code: "MCP_TOOL_BLOCKED" } });
    expect(requestsSeen(log)).toEqual([]);
    const alerts = (await records(warden, "alert")).map((a) => `${a.data.type} ${a.data.item}`);
    expect(alerts).toEqual(expect.arrayContaining(["mcp.tool.changed prompt", "mcp.tool.changed resource"]));

    // Approved from elsewhere (another process): the same gateway serves it without listing again.
    await approvePin(warden.ledger, { server: "rs", item: "prompt", name: "summarise" }, "admin@example.com");
    const served = await second.client.getPrompt({ name: "summarise" });
    expect(JSON.stringify(served.messages)).toContain("prompt from rs");
  });

  it("refuses reads through a poisoned template, listed first or not", async () => {
    const { warden } = await openWarden(ALLOW_ALL);
    const log = join(tempDir(), "seen.log");
    const { client } = await fresh(warden, { RS_LOG: log, RS_POISON: "1" });
    await expect(client.readResource({ uri: "rs://rs/doc/42" })).rejects.toMatchObject({
      data: { code: "MCP_TOOL_POISONED" },
      message: expect.stringMatching(/resource-template rs:\/\/rs\/doc\/\{id\}/),
    });
    expect((await client.listResourceTemplates()).resourceTemplates).toEqual([]);
    await expect(client.readResource({ uri: "rs://rs/doc/42" })).rejects.toMatchObject({
      data: { code: "MCP_TOOL_POISONED" },
    });
    await expect(client.subscribeResource({ uri: "rs://rs/doc/42" })).rejects.toMatchObject({
      data: { code: "MCP_TOOL_POISONED" },
    });
    expect(requestsSeen(log)).toEqual([]);
    // A listed resource the template does not cover is still served.
    expect(servedText(await client.readResource({ uri: "rs://rs/notes" }))).toBe("served by rs");
  });

  it("refuses a prompt the upstream does not list", async () => {
    const { warden } = await openWarden(ALLOW_ALL);
    const { client } = await fresh(warden, {});
    await expect(client.getPrompt({ name: "unlisted" })).rejects.toMatchObject({
      data: { code: "MCP_TOOL_UNKNOWN" },
    });
  });

  it("fails closed when the upstream's listing cannot be fetched", async () => {
    const { warden } = await openWarden(ALLOW_ALL);
    const log = join(tempDir(), "seen.log");
    writeFileSync(log, "");
    const { client } = await fresh(warden, { RS_LOG: log, RS_LIST_FAILS: "1" });
    await expect(client.getPrompt({ name: "summarise" })).rejects.toMatchObject({
      data: { code: "MCP_UPSTREAM_UNAVAILABLE" },
    });
    await expect(client.readResource({ uri: "rs://rs/notes" })).rejects.toMatchObject({
      data: { code: "MCP_UPSTREAM_UNAVAILABLE" },
    });
    expect(requestsSeen(log)).toEqual([]);
  });
});
