// Random and mutated request bodies never crash the service, never answer 500, and never record a call
// that the request did not validly describe.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createApp, createToken, Metrics } from "../../src/server/index.js";
import { onCleanup, openWarden, PLAIN_POLICY } from "../helpers.js";

describe("decision endpoint under random input", () => {
  it("answers every body with a JSON status below 500 and records only valid calls", async () => {
    const { warden } = await openWarden(PLAIN_POLICY);
    const metrics = new Metrics(warden.ledger);
    onCleanup(() => metrics.close());
    const app = createApp(warden, metrics);
    const { token } = await createToken(warden.ledger.store, { role: "admin" });
    const session = await warden.session({ agent: "fuzz-bot", onBehalfOf: "u", intent: "fuzz" });
    const valid = { session: session.id, tool: "read_database", args: { q: 1 } };

    const body = fc.oneof(
      fc.string(),
      fc.json(),
      fc.record(
        {
          session: fc.oneof(fc.constant(session.id), fc.string()),
          tool: fc.oneof(fc.constant("read_database"), fc.string(), fc.integer()),
          args: fc.anything(),
          rationale: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue().map((v) => JSON.stringify({ ...valid, args: v })),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const text = typeof b === "string" ? b : JSON.stringify(b);
        const before = (await warden.ledger.head())?.seq ?? 0;
        const res = await app.request("/v1/decisions", {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: text,
        });
        expect(res.status).toBeLessThan(500);
        const json = (await res.json()) as { callId?: string; error?: { code: string } };
        const after = (await warden.ledger.head())?.seq ?? 0;
        if (res.status === 200) {
          expect(after).toBe(before + 1);
          const [record] = await warden.ledger.store.query({ callId: json.callId!, kinds: ["call.intent"] });
          expect(record).toBeDefined();
        } else {
          expect(json.error?.code).toEqual(expect.any(String));
          expect(after).toBe(before);
        }
      }),
      { numRuns: 300 },
    );
  });
});
