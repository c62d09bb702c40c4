// Action links: signed, short-lived, single use, bound to one approval; garbage of any shape is refused.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ActionLinks } from "../../src/approvals/links.js";

const NOW = new Date("2026-03-01T12:00:00.000Z");
const LATER = new Date(NOW.getTime() + 15 * 60_000);
const links = () => new ActionLinks(randomBytes(32));

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return (err as { code?: string }).code ?? "not a WardenError";
  }
  return undefined;
}

describe("ActionLinks", () => {
  it("round trip: the URL carries a token that redeems to its action", () => {
    const l = links();
    for (const action of ["approve", "deny"] as const) {
      const url = new URL(
        l.url("https://warden.example.com/", { approvalId: "apr_1", action, expiresAt: LATER }),
      );
      expect(url.pathname).toBe("/approvals/apr_1");
      expect(url.searchParams.get("action")).toBe(action);
      expect(l.check("apr_1", url.searchParams.get("link"), NOW)).toBe(action);
      expect(l.redeem("apr_1", url.searchParams.get("link"), NOW)).toBe(action);
    }
  });

  it("is single use; check() does not use a link up, and says when it was", () => {
    const l = links();
    const token = l.create({ approvalId: "apr_1", action: "approve", expiresAt: LATER });
    expect(l.check("apr_1", token, NOW)).toBe("approve");
    expect(l.redeem("apr_1", token, NOW)).toBe("approve");
    expect(codeOf(() => l.redeem("apr_1", token, NOW))).toBe("LINK_USED");
    expect(codeOf(() => l.check("apr_1", token, NOW))).toBe("LINK_USED");
    // Two links for one approval are independent (each has its own nonce).
    expect(
      l.redeem("apr_1", l.create({ approvalId: "apr_1", action: "approve", expiresAt: LATER }), NOW),
    ).toBe("approve");
  });

  it("expires at expiresAt", () => {
    const l = links();
    const token = l.create({ approvalId: "apr_1", action: "deny", expiresAt: LATER });
    expect(codeOf(() => l.redeem("apr_1", token, LATER))).toBe("LINK_EXPIRED");
    expect(l.redeem("apr_1", token, new Date(LATER.getTime() - 1))).toBe("deny");
  });

  it("is bound to its approval and its key", () => {
    const l = links();
    const token = l.create({ approvalId: "apr_1", action: "approve", expiresAt: LATER });
    expect(codeOf(() => l.redeem("apr_2", token, NOW))).toBe("LINK_INVALID");
    expect(codeOf(() => links().redeem("apr_1", token, NOW))).toBe("LINK_INVALID");
    expect(l.redeem("apr_1", token, NOW)).toBe("approve");
  });

  it("refuses a tampered payload or MAC", () => {
    const l = links();
    const token = l.create({ approvalId: "apr_1", action: "deny", expiresAt: LATER });
    const [body, mac] = token.split(".") as [string, string];
    const payload = JSON.parse(Buffer.from(body, "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...payload, x: "approve" })).toString("base64url");
    expect(codeOf(() => l.redeem("apr_1", `${forged}.${mac}`, NOW))).toBe("LINK_INVALID");
    const flipped = mac[0] === "A" ? `B${mac.slice(1)}` : `A${mac.slice(1)}`;
    expect(codeOf(() => l.redeem("apr_1", `${body}.${flipped}`, NOW))).toBe("LINK_INVALID");
    // Another spelling of the same MAC bytes (a set bit among the last character's unused ones) too.
    const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const alias = mac.slice(0, -1) + abc[abc.indexOf(mac.at(-1)!) + 1];
    expect(Buffer.from(alias, "base64url")).toEqual(Buffer.from(mac, "base64url"));
    expect(codeOf(() => l.redeem("apr_1", `${body}.${alias}`, NOW))).toBe("LINK_INVALID");
    expect(l.redeem("apr_1", token, NOW)).toBe("deny");
  });

  it("refuses input of any shape with LINK_INVALID (property)", () => {
    const l = links();
    const valid = l.create({ approvalId: "apr_1", action: "approve", expiresAt: LATER });
    const tokenish = fc.oneof(
      fc.anything(),
      fc.string(),
      fc.stringMatching(/^[A-Za-z0-9_-]{0,80}\.[A-Za-z0-9_-]{43}$/),
      // Mutations of a real token: one character changed, a piece cut, something appended.
      fc
        .tuple(fc.nat(valid.length - 1), fc.constantFrom(..."ABCxyz019-_.="))
        .map(([i, c]) => valid.slice(0, i) + c + valid.slice(i + 1))
        .filter((t) => t !== valid),
      fc.nat(valid.length - 1).map((i) => valid.slice(0, i)),
      fc.string({ minLength: 1 }).map((s) => valid + s),
    );
    fc.assert(
      fc.property(tokenish, (token) => {
        expect(codeOf(() => l.redeem("apr_1", token, NOW))).toBe("LINK_INVALID");
      }),
      { numRuns: 1000 },
    );
    expect(l.redeem("apr_1", valid, NOW)).toBe("approve");
  });

  it("derives the key from the ledger's Ed25519 signing key (PEM or KeyObject), the same each time", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const token = ActionLinks.fromSigningKey(pem).create({
      approvalId: "apr_1",
      action: "approve",
      expiresAt: LATER,
    });
    expect(ActionLinks.fromSigningKey(privateKey).redeem("apr_1", token, NOW)).toBe("approve");
    const other = generateKeyPairSync("ed25519").privateKey;
    expect(codeOf(() => ActionLinks.fromSigningKey(other).redeem("apr_1", token, NOW))).toBe("LINK_INVALID");
    expect(codeOf(() => ActionLinks.fromSigningKey(publicKey))).toBe("LEDGER_KEY_MISSING");
    expect(codeOf(() => ActionLinks.fromSigningKey("not a key"))).toBe("LEDGER_KEY_MISSING");
    expect(
      codeOf(() => ActionLinks.fromSigningKey(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey)),
    ).toBe("LEDGER_KEY_MISSING");
  });

  it("remembers used links only until they expire, and refuses rather than forget a live one", () => {
    const l = new ActionLinks(randomBytes(32), { maxUsed: 2 });
    const soon = new Date(NOW.getTime() + 1000);
    const make = (expiresAt: Date) => l.create({ approvalId: "apr_1", action: "approve", expiresAt });
    l.redeem("apr_1", make(soon), NOW);
    l.redeem("apr_1", make(LATER), NOW);
    const third = make(LATER);
    expect(codeOf(() => l.redeem("apr_1", third, NOW))).toBe("LINK_INVALID");
    // Once the first link has expired its slot is free again.
    expect(l.redeem("apr_1", third, soon)).toBe("approve");
  });
});
