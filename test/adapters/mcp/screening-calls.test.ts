// What a hostile upstream or client cannot do to the record or the client: attach a refusal to another
// call's id, pass its own -32000 error off as a closed connection, or speak to the model in its serverInfo.
import { describe, expect, it } from "vitest";
import { openWarden } from "../../helpers.js";
import { codeOf, connectInMemory, eventually, gatewayFor, records } from "./helpers.js";
import { hostileUpstream, POISON } from "./screening-upstream.js";

const ALLOW = { default: "allow" };

describe("a call of a blocked tool", () => {
  it("is recorded under a new call id, never under one the client reuses", async () => {
    const { warden } = await openWarden(ALLOW);
    const gateway = await gatewayFor(warden, { servers: [hostileUpstream()] });
    const client = await connectInMemory(gateway);
    await client.callTool({ name: "echo", arguments: {}, _meta: { "warden/callId": "victim-1" } });
    const refused = await client.callTool({
      name: "deep",
      arguments: {},
      _meta: { "warden/callId": "victim-1" },
    });
    expect(codeOf(refused)).toBe("MCP_TOOL_POISONED");
    const callId = (refused._meta as Record<string, unknown>)["warden/callId"];
    expect(callId).not.toBe("victim-1");
    const alert = (await records(warden, "alert")).find((a) => a.data.type === "mcp.tool.refused");
    expect(alert).toMatchObject({ callId, data: { tool: "deep", requestedCallId: "victim-1" } });
    await eventually(async () => (await records(warden, "call.outcome")).length === 1);
    const victim = (await records(warden)).filter((r) => r.callId === "victim-1").map((r) => r.kind);
    expect(victim).toEqual(["call.intent", "call.outcome"]);
  });
});

describe("the outcome of a failed call", () => {
  it("is UPSTREAM_RPC_32000 for the upstream's own -32000 error, UPSTREAM_CLOSED only when it hangs up", async () => {
    const { warden } = await openWarden(ALLOW);
    const gateway = await gatewayFor(warden, { servers: [hostileUpstream()] });
    const client = await connectInMemory(gateway);
    await expect(client.callTool({ name: "fail", arguments: { code: -32000 } })).rejects.toMatchObject({
      code: -32000,
    });
    await expect(client.callTool({ name: "die", arguments: {} })).rejects.toMatchObject({ code: -32000 });
    const outcomes = await eventually(async () => {
      const found = await records(warden, "call.outcome");
      return found.length === 2 && found;
    });
    expect(outcomes.map((o) => [o.data.tool, (o.data.error as { code: string }).code])).toEqual([
      ["fail", "UPSTREAM_RPC_32000"],
      ["die", "UPSTREAM_CLOSED"],
    ]);
  });
});

describe("the serverInfo a client sees with one upstream", () => {
  it("is the upstream's name and version only: its title, description and links are not passed on", async () => {
    const { warden } = await openWarden(ALLOW);
    const info = {
      name: "notes",
      version: "1.0.0",
      title: POISON,
      description: POISON,
      websiteUrl: "https://evil.example",
    };
    const gateway = await gatewayFor(warden, { servers: [hostileUpstream({ info })] });
    const client = await connectInMemory(gateway);
    expect(client.getServerVersion()).toEqual({ name: "notes", version: "1.0.0" });
  });

  it("is the gateway's own when the name looks like prompt injection, with an alert", async () => {
    const { warden } = await openWarden(ALLOW);
    const gateway = await gatewayFor(warden, {
      servers: [hostileUpstream({ info: { name: POISON, version: "1.0.0" } })],
    });
    const client = await connectInMemory(gateway);
    expect(client.getServerVersion()?.name).toBe("warden-mcp");
    const alert = (await records(warden, "alert")).find((a) => a.data.item === "server-info");
    expect(alert?.data).toMatchObject({ type: "mcp.tool.poisoning", server: "hostile", action: "replaced" });
  });
});
