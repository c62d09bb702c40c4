// Inbound decisions from chat-ops bots: Standard Webhooks verification, the clock window, replays.
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { type Integration, SeenIds, verifyIntegrationRequest } from "../../src/approvals/inbound.js";

const secret = () => `whsec_${randomBytes(24).toString("base64")}`;
const SLACK: Integration = { name: "slack-bot", secret: secret() };
const TEAMS: Integration = { name: "teams-bot", secret: secret() };
const NOW = new Date("2026-03-01T12:00:00.000Z");
const BODY = JSON.stringify({ approvalId: "apr_1", decision: "approve", approver: "alice@example.com" });

function signed(o: { secret?: string; id?: string; at?: Date; body?: string } = {}) {
  const id = o.id ?? `msg_${randomBytes(8).toString("hex")}`;
  const at = o.at ?? NOW;
  const body = o.body ?? BODY;
  const headers: Record<string, string | undefined> = {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(o.secret ?? SLACK.secret).sign(id, at, body),
  };
  return { id, headers, body };
}

function refusal(f: () => unknown): { code?: string; details?: { reason?: string }; message: string } {
  try {
    f();
  } catch (err) {
    return err as { code?: string; details?: { reason?: string }; message: string };
  }
  throw new Error("expected a refusal");
}

const verify = (
  r: { headers: Record<string, string | undefined>; body: string },
  seen = new SeenIds(),
  now = NOW,
) => verifyIntegrationRequest([SLACK, TEAMS], r.headers, r.body, seen, now);

describe("verifyIntegrationRequest", () => {
  it("accepts a good signature and names the integration whose secret made it", () => {
    const r = signed();
    expect(verify(r)).toEqual({ integration: "slack-bot", webhookId: r.id, body: JSON.parse(BODY) });
    const t = signed({ secret: TEAMS.secret });
    expect(verify(t).integration).toBe("teams-bot");
  });

  it("accepts header names in any case, several signatures (a rotation), and the edge of the window", () => {
    const r = signed({ at: new Date(NOW.getTime() - 300_000) });
    const headers = {
      "Webhook-Id": r.headers["webhook-id"],
      "WEBHOOK-TIMESTAMP": r.headers["webhook-timestamp"],
      "webhook-signature": `v1,${randomBytes(32).toString("base64")} ${r.headers["webhook-signature"]}`,
    };
    expect(verify({ headers, body: r.body }).webhookId).toBe(r.id);
    expect(verify(signed({ at: new Date(NOW.getTime() + 300_000) })).integration).toBe("slack-bot");
  });

  it.each([
    [
      "a bad signature",
      () => ({ ...signed(), headers: { ...signed().headers, "webhook-signature": "v1,AAAA" } }),
    ],
    ["an unknown secret", () => signed({ secret: secret() })],
    ["a body altered after signing", () => ({ ...signed(), body: BODY.replace("approve", "deny") })],
    [
      "a signature of another id",
      () => ({ ...signed(), headers: { ...signed().headers, "webhook-id": "msg_x" } }),
    ],
    [
      "a v2 signature only",
      () => {
        const r = signed();
        return {
          ...r,
          headers: {
            ...r.headers,
            "webhook-signature": r.headers["webhook-signature"]!.replace("v1,", "v2,"),
          },
        };
      },
    ],
  ])("refuses %s (WEBHOOK_INVALID, bad_signature)", (_, make) => {
    const err = refusal(() => verify(make()));
    expect(err).toMatchObject({ code: "WEBHOOK_INVALID", details: { reason: "bad_signature" } });
  });

  it("refuses a timestamp 6 minutes old or 6 minutes ahead, though the signature is good", () => {
    const old = refusal(() => verify(signed({ at: new Date(NOW.getTime() - 360_000) })));
    expect(old).toMatchObject({ code: "WEBHOOK_INVALID", details: { reason: "timestamp_too_old" } });
    const ahead = refusal(() => verify(signed({ at: new Date(NOW.getTime() + 360_000) })));
    expect(ahead).toMatchObject({ code: "WEBHOOK_INVALID", details: { reason: "timestamp_too_new" } });
  });

  it.each(["webhook-id", "webhook-timestamp", "webhook-signature"])(
    "refuses a request without %s",
    (name) => {
      const r = signed();
      for (const value of [undefined, ""]) {
        const err = refusal(() => verify({ ...r, headers: { ...r.headers, [name]: value } }));
        expect(err).toMatchObject({ code: "WEBHOOK_INVALID", details: { reason: "missing_header" } });
        expect(err.message).toContain(name);
      }
    },
  );

  it("refuses malformed timestamps and oversized ids", () => {
    for (const ts of ["abc", "1.5", "-1", "1e9", " 1772366400", "99999999999999999999"]) {
      const r = signed();
      const err = refusal(() => verify({ ...r, headers: { ...r.headers, "webhook-timestamp": ts } }));
      expect(err).toMatchObject({ code: "WEBHOOK_INVALID", details: { reason: "bad_header" } });
    }
    const err = refusal(() => verify(signed({ id: "m".repeat(257) })));
    expect(err).toMatchObject({ code: "WEBHOOK_INVALID", details: { reason: "bad_header" } });
  });

  it("refuses a reused webhook-id, even re-signed with a new timestamp and body", () => {
    const seen = new SeenIds();
    const r = signed();
    verify(r, seen);
    expect(refusal(() => verify(r, seen))).toMatchObject({ code: "WEBHOOK_REPLAYED" });
    const again = signed({ id: r.id, at: new Date(NOW.getTime() + 60_000), body: "{}" });
    expect(refusal(() => verify(again, seen, new Date(NOW.getTime() + 60_000)))).toMatchObject({
      code: "WEBHOOK_REPLAYED",
    });
    // Ids are per integration: another bot may use the same id.
    expect(verify(signed({ id: r.id, secret: TEAMS.secret }), seen).integration).toBe("teams-bot");
  });

  it("a correctly signed body that is not JSON is refused and does not use up its id", () => {
    const seen = new SeenIds();
    const bad = signed({ body: "{not json" });
    expect(refusal(() => verify(bad, seen))).toMatchObject({
      code: "WEBHOOK_INVALID",
      details: { reason: "bad_body" },
    });
    expect(seen.size).toBe(0);
  });

  it("never quotes a secret or a signature in its errors", () => {
    const r = signed({ secret: secret() });
    const err = refusal(() => verify(r));
    const text = `${err.message} ${JSON.stringify(err)}`;
    for (const s of [SLACK.secret, TEAMS.secret]) expect(text).not.toContain(s.slice(6, 20));
    expect(text).not.toContain(r.headers["webhook-signature"]!.slice(3, 20));
  });

  it("refuses any garbage with WEBHOOK_INVALID and nothing else (property)", () => {
    const header = fc.option(fc.string({ maxLength: 80 }), { nil: undefined });
    fc.assert(
      fc.property(header, header, header, fc.string({ maxLength: 200 }), (id, ts, sig, body) => {
        const err = refusal(() =>
          verify({ headers: { "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig }, body }),
        );
        expect(err.code).toBe("WEBHOOK_INVALID");
      }),
      { numRuns: 500 },
    );
  });
});

describe("SeenIds", () => {
  it("forgets ids after 10 minutes, not before", () => {
    const seen = new SeenIds();
    seen.add("a", NOW);
    expect(seen.has("a", new Date(NOW.getTime() + 599_999))).toBe(true);
    expect(seen.has("a", new Date(NOW.getTime() + 600_000))).toBe(false);
    expect(seen.size).toBe(0);
  });

  it("is bounded: past the limit the oldest ids go first", () => {
    const seen = new SeenIds({ max: 3 });
    for (const id of ["a", "b", "c", "d"]) seen.add(id, NOW);
    expect(seen.size).toBe(3);
    expect(["a", "b", "c", "d"].map((id) => seen.has(id, NOW))).toEqual([false, true, true, true]);
  });
});
