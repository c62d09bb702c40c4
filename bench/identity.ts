// Identity-provider tokens: what verifying one costs per request, beside jose alone on the same key, and
// the first verification after a key rotation (one JWKS fetch from a provider stand-in on 127.0.0.1).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK, jwtVerify, SignJWT } from "jose";
import { ProviderTokens, providerConfig } from "../src/identity/provider/index.js";
import { percentile, timeLoop } from "./stats.js";

export interface IdentityBench {
  verifyPerSec: number;
  verifyUs: number;
  joseOnlyPerSec: number;
  joseOnlyUs: number;
  rotationP50Ms: number;
}

async function signingKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } as JWK };
}

export async function benchIdentity(samples = 20_000, rotations = 50): Promise<IdentityBench> {
  let keys = [await signingKey("k0")];
  // A provider stand-in: its discovery document and JWKS only (the tests run a real provider instead).
  const server = createServer((req, res) => {
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    res.setHeader("content-type", "application/json");
    if (req.url === "/.well-known/openid-configuration")
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    else res.end(JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const token = (key = keys[0]!) =>
    new SignJWT({ client_id: "support-bot", groups: ["agents"] })
      .setProtectedHeader({ alg: "ES256", kid: String(key.publicJwk.kid), typ: "at+jwt" })
      .setIssuer(issuer)
      .setAudience("warden")
      .setSubject("support-bot")
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(key.privateKey);
  try {
    const config = providerConfig({ issuer, audience: "warden", roles: { agent: ["agents"] } });
    const tokens = new ProviderTokens(config, { jwksCooldownMs: 0 });
    const one = await token();
    const warden = await timeLoop(samples, () => tokens.verify(one));
    const local = createLocalJWKSet({ keys: keys.map((k) => k.publicJwk) });
    const jose = await timeLoop(samples, () => jwtVerify(one, local, { issuer, audience: "warden" }));

    const rotationMs: number[] = [];
    for (let i = 1; i <= rotations; i++) {
      keys = [await signingKey(`k${i}`), ...keys.slice(0, 1)];
      const fresh = await token();
      const started = performance.now();
      await tokens.verify(fresh);
      rotationMs.push(performance.now() - started);
    }
    rotationMs.sort((a, b) => a - b);
    return {
      verifyPerSec: warden.opsPerSec,
      verifyUs: warden.nsPerOp / 1000,
      joseOnlyPerSec: jose.opsPerSec,
      joseOnlyUs: jose.nsPerOp / 1000,
      rotationP50Ms: percentile(rotationMs, 50),
    };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
