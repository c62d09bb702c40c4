// Held (in-the-clear) arguments are shown to exactly the people the approval accepts as deciders: not the
// agent's registered developer, not the user the agent acts for (without selfApproval), not a token that
// names no person, nor an auditor.
import { describe, expect, it } from "vitest";
import { createToken, startServer } from "../../src/server/index.js";
import { onCleanup, openWarden } from "../helpers.js";
import { apiClient } from "../server/api-client.js";

const CARD = "4111-1111-1111-1111";
const POLICY = {
  agents: { "support-bot": { team: "support", developer: "dana@example.com", tools: ["refund"] } },
  rules: [{ id: "refund", tools: ["refund"], decision: "ask" }],
  redact: { refund: ["$.card"] },
};

describe("held arguments of an approval", () => {
  it("are shown to a decider only", async () => {
    const { warden } = await openWarden(POLICY);
    const server = await startServer(warden, { port: 0 });
    onCleanup(() => server.close());
    const store = warden.ledger.store;
    const token = async (o: Parameters<typeof createToken>[1]) => (await createToken(store, o)).token;
    const api = apiClient(() => server.url);
    const agent = await token({ role: "agent", agent: "support-bot" });
    const session = await api("POST", "/v1/sessions", agent, {
      agent: "support-bot",
      onBehalfOf: "carol@example.com",
      intent: "refunds",
    });
    const decided = await api("POST", "/v1/decisions", agent, {
      session: session.body.id,
      tool: "refund",
      args: { card: CARD, amount: 5 },
    });
    const id = String((decided.body.approval as { id: string }).id);
    const heldFor = async (bearer: string) => {
      const answer = await api("GET", `/v1/approvals/${id}`, bearer);
      return (answer.body.approval as { heldArgs: unknown }).heldArgs;
    };

    expect(
      JSON.stringify(await heldFor(await token({ role: "approver", name: "alice@example.com" }))),
    ).toContain(CARD);
    for (const reader of [
      await token({ role: "approver", name: "dana@example.com" }),
      await token({ role: "approver", name: "carol@example.com" }),
      await token({ role: "admin" }),
      await token({ role: "auditor", name: "audit@example.com" }),
    ]) {
      expect(await heldFor(reader)).toBeNull();
    }
  });
});
