// Forged and hostile provider tokens, signed by hand against a provider whose discovery and JWKS are served
// to the verifier: header tricks (none, HMAC with the public key, jku/jwk, a foreign kid), claims that do
// not hold (audience, issuer, expiry beyond the clock skew), and claims that would be recorded unsafely.
import { createHmac } from "node:crypto";
import { base64url, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { ProviderTokens, providerConfig } from "../../src/identity/provider/index.js";
import { wardenRefusal } from "../helpers.js";

const ISS = "https://login.example.test";
const AUD = "https://warden.example.test/api";
const keys = await generateKeyPair("ES256", { extractable: true });
const published: JWK = { ...(await exportJWK(keys.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
const foreign = await generateKeyPair("ES256", { extractable: true });

/** The provider as the verifier sees it: its discovery document and its JWKS, nothing else. */
const provider = async (url: string) => {
  if (url === `${ISS}/.well-known/openid-configuration`)
    return Response.json({ issuer: ISS, jwks_uri: `${ISS}/jwks` });
  if (url === `${ISS}/jwks`) return Response.json({ keys: [published] });
  return new Response("not found", { status: 404 });
};
const verifier = () =>
  new ProviderTokens(
    providerConfig({
      issuer: ISS,
      audience: AUD,
      roles: { admin: ["admins"], agent: ["agents"] },
    }),
    { fetch: provider },
  );

const now = Math.floor(Date.now() / 1000);
const PERSON = { iss: ISS, aud: AUD, sub: "ann", exp: now + 600, iat: now, email: "ann@example.com" };
const ADMIN = { ...PERSON, groups: ["admins"] };
/** An exchanged token (RFC 8693): the agent acting for ann. */
const EXCHANGED = { ...PERSON, client_id: "support-bot", act: { sub: "support-bot" } };

function sign(claims: object, header: object = {}, key = keys.privateKey): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: "ES256", kid: "k1", typ: "at+jwt", ...header })
    .sign(key);
}

const part = (value: object) => base64url.encode(JSON.stringify(value));

describe("hostile provider tokens", () => {
  it("a well-formed token verifies (the fixture is sound)", async () => {
    await expect(verifier().verify(await sign(ADMIN))).resolves.toMatchObject({ role: "admin" });
    await expect(verifier().verify(await sign(EXCHANGED))).resolves.toMatchObject({
      role: "agent",
      agent: "support-bot",
      onBehalfOf: "ann@example.com",
    });
  });

  it.each([
    ["alg none", async () => `${part({ alg: "none", typ: "at+jwt" })}.${part(ADMIN)}.`, "malformed"],
    [
      "HS256 keyed with the published key",
      async () => {
        const input = `${part({ alg: "HS256", kid: "k1", typ: "at+jwt" })}.${part(ADMIN)}`;
        const mac = createHmac("sha256", JSON.stringify(published)).update(input).digest("base64url");
        return `${input}.${mac}`;
      },
      "algorithm",
    ],
    [
      "a jku and an embedded jwk naming a foreign key",
      async () =>
        sign(
          ADMIN,
          { jku: "https://evil.example/jwks", jwk: await exportJWK(foreign.publicKey) },
          foreign.privateKey,
        ),
      "signature",
    ],
    ["a kid the provider does not publish", () => sign(ADMIN, { kid: "../../evil" }), "unknown-key"],
    ["no audience", () => sign({ ...ADMIN, aud: undefined }), "audience"],
    ["another audience", () => sign({ ...ADMIN, aud: "https://other.example.test" }), "audience"],
    ["another issuer", () => sign({ ...ADMIN, iss: "https://evil.example" }), "issuer"],
    ["expired beyond the clock skew", () => sign({ ...ADMIN, exp: now - 31 }), "expired"],
    ["not yet valid beyond the clock skew", () => sign({ ...ADMIN, nbf: now + 60 }), "nbf"],
    ["typed as an ID token", () => sign(ADMIN, { typ: "JWT" }), "typ"],
  ])("refuses %s", async (_name, token, reason) => {
    const refusal = await wardenRefusal(verifier().verify(await token()));
    expect(refusal.code).toBe("TOKEN_INVALID");
    if (reason !== "malformed") expect(refusal.reason).toBe(reason);
  });

  it.each([
    ["a newline", "ann\nsession.start forged"],
    ["a bidirectional override", "ann\u202egro.elpmaxe"],
    ["an invisible character", "ann\u200b"],
    ["an escape sequence", "ann\u001b[2J"],
    ["more than 256 characters", "a".repeat(257)],
  ])("refuses a subject holding %s: it would be recorded as the verified user's", async (_name, sub) => {
    for (const claims of [EXCHANGED, ADMIN]) {
      expect(await wardenRefusal(verifier().verify(await sign({ ...claims, sub })))).toEqual({
        code: "TOKEN_INVALID",
        reason: "subject",
      });
    }
  });

  it("refuses an exchanged token whose act names another agent than its client", async () => {
    const tokens = verifier();
    for (const act of [{ sub: "payments-bot" }, { sub: "payments-bot", act: { sub: "support-bot" } }]) {
      expect(await wardenRefusal(tokens.verify(await sign({ ...EXCHANGED, act })))).toEqual({
        code: "TOKEN_INVALID",
        reason: "act",
      });
    }
    // An unusable client claim is no agreement either.
    expect(
      await wardenRefusal(tokens.verify(await sign({ ...EXCHANGED, client_id: "support-bot\u202e" }))),
    ).toEqual({ code: "TOKEN_INVALID", reason: "act" });
    // Without a client claim, the actor is the agent.
    await expect(
      tokens.verify(await sign({ ...EXCHANGED, client_id: undefined, act: { sub: "support-bot" } })),
    ).resolves.toMatchObject({ agent: "support-bot", onBehalfOf: "ann@example.com" });
  });
});
