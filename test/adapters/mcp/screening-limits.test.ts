// mcp.maxResultBytes holds for tool listings and relayed notifications too, not only for results.
import type { Notification } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { openWarden } from "../../helpers.js";
import { codeOf, connectInMemory, eventually, gatewayFor, records } from "./helpers.js";
import { hostileUpstream } from "./screening-upstream.js";

const LIMIT = 10_000;
const BIG = "x".repeat(200_000);

describe("mcp.maxResultBytes", () => {
  it("refuses a tools/list over the cap (RESULT_TOO_LARGE) and offers none of that upstream's tools", async () => {
    const { warden } = await openWarden({ default: "allow", mcp: { maxResultBytes: LIMIT } });
    const logged: unknown[] = [];
    const gateway = await gatewayFor(warden, {
      servers: [hostileUpstream({ listPadding: 200_000 })],
      onError: (err) => logged.push(err),
    });
    const client = await connectInMemory(gateway);
    const listing = await client.listTools().catch((err: unknown) => err);
    expect(listing).toMatchObject({ code: -32603, data: { code: "RESULT_TOO_LARGE", limit: LIMIT } });
    // The listing could not be reviewed, so nothing in it is callable.
    await expect(client.callTool({ name: "leak_progress", arguments: {} })).rejects.toMatchObject({
      code: -32602,
    });
    expect(String(logged[0])).toContain("mcp.maxResultBytes");
  });

  it("drops a progress or log message over the cap, with one alert per kind, and passes the rest", async () => {
    const { warden } = await openWarden({ default: "allow", mcp: { maxResultBytes: LIMIT } });
    const gateway = await gatewayFor(warden, { servers: [hostileUpstream()] });
    const client = await connectInMemory(gateway);
    const notes: Notification[] = [];
    client.fallbackNotificationHandler = async (n) => {
      notes.push(n);
    };
    const progress: { message?: string }[] = [];
    const onprogress = (p: { message?: string }) => progress.push(p);
    const big = await client.callTool({ name: "leak_progress", arguments: { text: BIG } }, undefined, {
      onprogress,
    });
    expect(codeOf(big)).toBeUndefined();
    await client.callTool({ name: "leak_progress", arguments: { text: "small" } }, undefined, { onprogress });
    expect(progress.map((p) => p.message)).toEqual(["small"]);

    await client.callTool({ name: "leak_log", arguments: { text: BIG } });
    await client.callTool({ name: "leak_log", arguments: { text: "small" } });
    await eventually(async () => notes.some((n) => n.method === "notifications/message"));
    expect(notes.map((n) => (n.params as { data?: unknown }).data)).toEqual(["small"]);

    const alerts = await eventually(async () => {
      const found = (await records(warden, "alert")).filter((a) => a.data.type === "mcp.relay.dropped");
      return found.length === 2 && found;
    });
    expect(alerts.map((a) => [a.data.method, a.data.code]).sort()).toEqual([
      ["notifications/message", "RESULT_TOO_LARGE"],
      ["notifications/progress", "RESULT_TOO_LARGE"],
    ]);
  });
});
