// Property tests of reading a verified token's claims: any claims set either yields an identity the
// configured groups justify, or a WardenError; never another exception, never a role without its group.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WardenError } from "../../src/errors.js";
import { groupsOf, identityOf, providerConfig } from "../../src/identity/provider/index.js";

const config = providerConfig({
  issuer: "https://login.example.test",
  audience: "warden",
  roles: { admin: ["admins"], approver: ["approvers"], auditor: ["auditors"], agent: ["agents"] },
});
const GROUPS = ["admins", "approvers", "auditors", "agents", "sales", ""];

const claims = fc.record(
  {
    iss: fc.constant("https://login.example.test"),
    sub: fc.oneof(fc.string(), fc.constantFrom("ann", "support-bot")),
    exp: fc.integer({ min: 0, max: 4_000_000_000 }),
    email: fc.oneof(fc.string(), fc.emailAddress(), fc.integer()),
    email_verified: fc.oneof(fc.boolean(), fc.string()),
    client_id: fc.oneof(fc.string(), fc.constantFrom("support-bot"), fc.integer()),
    groups: fc.oneof(
      fc.array(fc.oneof(fc.constantFrom(...GROUPS), fc.string(), fc.integer())),
      fc.string(),
      fc.constantFrom("approvers agents", "sales"),
      fc.object(),
    ),
    act: fc.oneof(fc.record({ sub: fc.oneof(fc.string(), fc.integer()) }), fc.constant(null), fc.string()),
  },
  { requiredKeys: ["iss"] },
);

describe("identityOf", () => {
  it("returns a justified identity or a WardenError, for any claims", () => {
    fc.assert(
      fc.property(claims, fc.boolean(), (c, delegate) => {
        let who: ReturnType<typeof identityOf>;
        try {
          who = identityOf(c, config, { delegate });
        } catch (err) {
          expect(err).toBeInstanceOf(WardenError);
          return;
        }
        const groups = groupsOf(c, config);
        const delegated = "act" in c || (delegate && who.onBehalfOf !== null);
        if (!delegated) {
          const mapped = config.roles.find((r) => r.role === who.role)?.groups ?? [];
          expect(mapped.some((g) => groups.includes(g))).toBe(true);
        }
        // A user is named only by a delegation: an act claim, or a person's token where agents connect.
        if (who.onBehalfOf !== null) expect("act" in c || delegate).toBe(true);
        if (who.role === "agent") expect(who.agent).toBeTruthy();
        else expect(who.agent).toBeNull();
        expect(who.name.length).toBeGreaterThan(0);
      }),
      { numRuns: 2_000 },
    );
  });
});
