// A definition nested deeper than a ledger record may be (MAX_JSON_DEPTH) can be neither pinned nor
// screened whole: it is hidden, with an alert, and the rest of the listing is reviewed as usual.
import { describe, expect, it } from "vitest";
import { PinBook } from "../../../src/adapters/mcp/pins.js";
import { ToolReviewer } from "../../../src/adapters/mcp/review.js";
import { openWarden } from "../../helpers.js";

const CTX = { session: null, agent: null };

/** A tool whose input schema nests `levels` objects in `properties`. */
function nested(levels: number) {
  let schema: Record<string, unknown> = { type: "string", description: "a leaf" };
  for (let i = 0; i < levels; i++) schema = { type: "object", properties: { [`p${i}`]: schema } };
  return { name: "deep", description: "Deep.", inputSchema: schema as { type: "object" } };
}

describe("a deeply nested definition", () => {
  it("is hidden with an alert, not pinned, and does not stop the review of others", async () => {
    const { warden } = await openWarden({ default: "allow" });
    const pins = new PinBook(warden.ledger.store);
    await pins.reload();
    const reviewer = new ToolReviewer(warden.ledger, pins, "warn");
    for (const levels of [40, 3_000]) {
      const review = await reviewer.review("upstream", nested(levels), [], CTX);
      expect(review.state).toBe("poisoned");
      expect(review.signals.map((s) => s.kind)).toEqual(["too-large-to-screen"]);
    }
    expect(await warden.ledger.store.query({ kinds: ["mcp.tool.pin"] })).toEqual([]);
    const alerts = await warden.ledger.store.query({ kinds: ["alert"] });
    expect(alerts[0]?.data).toMatchObject({ type: "mcp.tool.poisoning", action: "hidden", name: "deep" });
    const ok = await reviewer.review("upstream", nested(5), [], CTX);
    expect(ok.state).toBe("ok");
  });
});
