// Tool pinning (rug pulls) and poisoning: changed definitions are blocked until approved; poisoned ones per mcp.poisoning.
import { describe, expect, it } from "vitest";
import { approveTool, McpGatewayError, pinStates } from "../../../src/adapters/mcp/index.js";
import { openWarden } from "../../helpers.js";
import {
  allTools,
  CHANGING,
  codeOf,
  connectInMemory,
  EVERYTHING,
  eventually,
  gatewayFor,
  records,
  stdioServer,
  textOf,
} from "./helpers.js";

const ALLOW_ALL = { default: "allow" };

describe("tool pinning", () => {
  it("pins on first sight, blocks a definition that changes at run time, and unblocks it after approval", async () => {
    const { warden } = await openWarden(ALLOW_ALL);
    const gateway = await gatewayFor(warden, { servers: [stdioServer("changing", CHANGING)] });
    const client = await connectInMemory(gateway);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("greet");
    const pins = await records(warden, "mcp.tool.pin");
    expect(pins.map((r) => r.data.tool).sort()).toEqual(["count", "crash", "greet", "hang", "mutate"]);
    expect(textOf(await client.callTool({ name: "greet", arguments: { name: "Ada" } }))).toBe("Hello, Ada!");

    await client.callTool({ name: "mutate", arguments: {} });
    await eventually(async () => !(await client.listTools()).tools.some((t) => t.name === "greet"));
    const refused = await client.callTool({ name: "greet", arguments: { name: "Ada" } });
    expect(refused.isError).toBe(true);
    expect(codeOf(refused)).toBe("MCP_TOOL_BLOCKED");
    const alerts = await records(warden, "alert");
    expect(alerts.map((a) => a.data.type)).toEqual(
      expect.arrayContaining(["mcp.tool.changed", "mcp.tool.refused"]),
    );
    const changed = (await pinStates(warden.ledger.store)).find((s) => s.tool === "greet");
    expect(changed).toMatchObject({ server: "changing", state: "changed" });

    const approved = await approveTool(warden.ledger, "changing", "greet", "admin@example.com");
    expect(approved.digest).toBe(changed?.pending);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("greet");
    expect(textOf(await client.callTool({ name: "greet", arguments: { name: "Ada" } }))).toBe("Hello, Ada!");
    expect((await pinStates(warden.ledger.store)).find((s) => s.tool === "greet")?.state).toBe("pinned");
    await expect(approveTool(warden.ledger, "changing", "greet", "x")).rejects.toMatchObject({
      code: "MCP_NOTHING_TO_APPROVE",
    });
    await expect(approveTool(warden.ledger, "changing", "nope", "x")).rejects.toBeInstanceOf(McpGatewayError);
  });

  it("blocks a tool whose definition differs from the pin when a later gateway starts (server upgraded in between)", async () => {
    const { warden } = await openWarden(ALLOW_ALL);
    const first = await gatewayFor(warden, { servers: [stdioServer("changing", CHANGING)] });
    await (await connectInMemory(first)).listTools();
    await first.close();
    const second = await gatewayFor(warden, {
      servers: [stdioServer("changing", CHANGING, [], { FIXTURE_VERSION: "2" })],
    });
    const client = await connectInMemory(second);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).not.toContain("greet");
    expect(names).toContain("count");
    expect(codeOf(await client.callTool({ name: "greet", arguments: {} }))).toBe("MCP_TOOL_BLOCKED");
    const intents = await records(warden, "call.intent");
    expect(intents).toHaveLength(0);
  });
});

describe("tool poisoning", () => {
  it("block (default): hides and refuses a poisoned tool, records the findings", async () => {
    const { warden } = await openWarden(ALLOW_ALL);
    const gateway = await gatewayFor(warden, {
      servers: [stdioServer("changing", CHANGING, [], { FIXTURE_POISON: "1" })],
    });
    const client = await connectInMemory(gateway);
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain("helper");
    expect(codeOf(await client.callTool({ name: "helper", arguments: {} }))).toBe("MCP_TOOL_POISONED");
    const alert = (await records(warden, "alert")).find((a) => a.data.type === "mcp.tool.poisoning");
    const kinds = ((alert?.data.findings ?? []) as { kind: string }[]).map((f) => f.kind);
    expect(kinds).toEqual(
      expect.arrayContaining(["hidden-instruction-tag", "credential-access", "conceal-from-user"]),
    );
    expect((await pinStates(warden.ledger.store)).find((s) => s.tool === "helper")?.state).toBe("poisoned");
    await approveTool(warden.ledger, "changing", "helper", "admin@example.com");
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("helper");
  });

  it("warn: lists the poisoned tool but still records the findings", async () => {
    const { warden } = await openWarden({ ...ALLOW_ALL, mcp: { poisoning: "warn" } });
    const gateway = await gatewayFor(warden, {
      servers: [stdioServer("changing", CHANGING, [], { FIXTURE_POISON: "1" })],
    });
    const client = await connectInMemory(gateway);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("helper");
    const alert = (await records(warden, "alert")).find((a) => a.data.type === "mcp.tool.poisoning");
    expect(alert?.data.mode).toBe("warn");
  });

  it("flags a tool that names another server's tool (shadowing), with several upstreams under server__tool names", async () => {
    const { warden } = await openWarden(ALLOW_ALL);
    const gateway = await gatewayFor(warden, {
      servers: [
        stdioServer("everything", EVERYTHING),
        stdioServer("changing", CHANGING, [], { FIXTURE_SHADOW: "get-resource-links" }),
      ],
    });
    const client = await connectInMemory(gateway);
    const firstPage = await client.listTools();
    expect(firstPage.nextCursor).toMatch(/^wdn1\./);
    const names = await allTools(client);
    expect(names).toContain("everything__echo");
    expect(names).toContain("changing__greet");
    expect(names).not.toContain("changing__weather");
    const alert = (await records(warden, "alert")).find((a) => a.data.type === "mcp.tool.poisoning");
    expect(alert?.data).toMatchObject({
      server: "changing",
      tool: "weather",
      findings: [{ kind: "tool-shadowing" }],
    });
    expect(textOf(await client.callTool({ name: "everything__echo", arguments: { message: "x" } }))).toBe(
      "Echo: x",
    );
    expect(textOf(await client.callTool({ name: "changing__greet", arguments: { name: "Bo" } }))).toBe(
      "Hello, Bo!",
    );
  });
});
