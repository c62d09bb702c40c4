// The service lists a call.intent record whose data does not match its schema as malformed (what is wrong,
// where), instead of a call with blank fields; well-formed calls beside it read as before.
import { describe, expect, it } from "vitest";
import { createToken, startServer } from "../../src/server/index.js";
import { onCleanup, openWarden } from "../helpers.js";
import { appendUnchecked } from "../ledger/helpers.js";

const POLICY = {
  version: 1,
  default: "deny",
  agents: { "support-bot": { team: "support", developer: "dana@example.com", tools: ["read_ticket"] } },
  rules: [{ id: "read", tools: ["read_ticket"], decision: "allow" }],
};

describe("GET /v1/agents/:name with a malformed intent in the ledger", () => {
  it("lists it with `malformed`, naming chain, seq and field", async () => {
    const { warden } = await openWarden(POLICY);
    const server = await startServer(warden, { port: 0 });
    onCleanup(() => server.close());
    const auditor = await createToken(warden.ledger.store, { role: "auditor", name: "audrey@example.com" });
    const session = await warden.session({ agent: "support-bot", onBehalfOf: "alice", intent: "ticket 1" });
    await session.check("read_ticket", { id: 1 });
    const seq = await appendUnchecked(
      warden.ledger.store,
      warden.ledger.chain,
      "call.intent",
      { tool: 42, args: {}, decision: { effect: "allow" } },
      { session: session.id, agent: "support-bot", callId: "c-bad" },
    );
    const res = await fetch(`${server.url}/v1/agents/support-bot`, {
      headers: { authorization: `Bearer ${auditor.token}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      recentCalls: { callId: string; tool: string; malformed?: string }[];
    };
    const bad = body.recentCalls.find((c) => c.callId === "c-bad");
    expect(bad?.malformed).toContain(`malformed call.intent record (chain main, seq ${seq}): data.tool`);
    expect(body.recentCalls.find((c) => c.callId !== "c-bad")).toMatchObject({ tool: "read_ticket" });
    expect(body.recentCalls.find((c) => c.callId !== "c-bad")?.malformed).toBeUndefined();
  });
});
