// The accountability chain says whether its user was proven: `warden who` and GET /v1/calls/{id}/chain name
// the provider that vouched and the user's subject there, or say the caller only asserted the user.
import { describe, expect, it } from "vitest";
import { accountabilityOf, formatAccountability } from "../../src/identity/index.js";
import { openWarden } from "../helpers.js";

const ANN = { name: "ann@example.com", issuer: "https://login.example.test", subject: "ann" };

describe("the accountability chain's user", () => {
  it("names who vouched for a verified user, down to a sub-agent's call", async () => {
    const { warden } = await openWarden({ default: "allow" });
    const parent = await warden.session({ agent: "planner", intent: "plan", verifiedUser: ANN });
    const child = await warden.session({
      agent: "writer",
      onBehalfOf: ANN.name,
      intent: "draft",
      parent,
    });
    await child.check("read_ticket", {}, { callId: "call-verified" });
    const chain = await accountabilityOf(warden.ledger.store, "call-verified");
    expect(chain).toMatchObject({
      user: ANN.name,
      userVerified: { issuer: ANN.issuer, subject: ANN.subject },
    });
    expect(chain.agents.map((a) => a.name)).toEqual(["planner", "writer"]);
    expect(formatAccountability(chain)).toContain(
      "prompted by   ann@example.com (verified by https://login.example.test as subject ann)",
    );
  });

  it("says an asserted user was not verified", async () => {
    const { warden } = await openWarden({ default: "allow" });
    const session = await warden.session({ agent: "planner", onBehalfOf: ANN.name, intent: "plan" });
    await session.check("read_ticket", {}, { callId: "call-asserted" });
    const chain = await accountabilityOf(warden.ledger.store, "call-asserted");
    expect(chain.userVerified).toBeNull();
    expect(formatAccountability(chain)).toContain(
      "prompted by   ann@example.com (asserted by the caller, not verified)",
    );
  });
});
