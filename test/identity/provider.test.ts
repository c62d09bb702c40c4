// Provider tokens verified against a real OpenID provider on 127.0.0.1: roles from groups, the agent, the
// delegated user, and every refusal (audience, expiry, foreign keys, ID tokens as bearers, key rotation).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProviderConfig, ProviderTokens, providerConfig } from "../../src/identity/provider/index.js";
import { wardenRefusal } from "../helpers.js";
import { type LocalClient, LocalProvider } from "./local-provider.js";

const API = "https://warden.example.test/api";
const OTHER = "https://other.example.test/api";
const AGENT: LocalClient = {
  id: "support-bot",
  secret: "support-bot-secret-0123456789",
  grantTypes: ["client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"],
  groups: ["warden-agents"],
};
const STRANGER: LocalClient = {
  id: "stranger",
  secret: "stranger-secret-0123456789",
  grantTypes: ["client_credentials"],
};
const APP: LocalClient = { id: "helpdesk-app", redirectUris: ["http://127.0.0.1:9/callback"] };

let idp: LocalProvider;
let other: LocalProvider;

function config(overrides: Partial<Parameters<typeof providerConfig>[0]> = {}): ProviderConfig {
  return providerConfig({
    issuer: idp.issuer,
    audience: API,
    roles: { approver: ["security-approvers"], auditor: ["auditors"], agent: ["warden-agents"] },
    ...overrides,
  });
}

beforeAll(async () => {
  idp = await LocalProvider.listen();
  await idp.configure({
    users: {
      ann: { email: "ann@example.com", groups: ["security-approvers"] },
      bob: { email: "bob@example.com", groups: ["sales"] },
    },
    clients: [AGENT, STRANGER, APP],
    resources: [API, OTHER],
  });
  other = await LocalProvider.listen();
  await other.configure({ users: {}, clients: [AGENT], resources: [API] });
});

afterAll(async () => {
  await idp?.close();
  await other?.close();
});

describe("provider tokens", () => {
  it("an agent's client-credentials token is the agent's, with no user", async () => {
    const who = await new ProviderTokens(config()).verify(await idp.clientCredentials(AGENT, API));
    expect(who).toMatchObject({ role: "agent", agent: "support-bot", name: "support-bot", onBehalfOf: null });
    expect(who.expiresAt).toBeGreaterThan(Date.now());
  });

  it("a person's token takes its role from the groups claim and its name from the email", async () => {
    const { access_token } = await idp.signIn("ann", APP, { resource: API });
    const who = await new ProviderTokens(config()).verify(access_token);
    expect(who).toMatchObject({ role: "approver", name: "ann@example.com", agent: null, subject: "ann" });
  });

  it("a person in no mapped group has no role", async () => {
    const { access_token } = await idp.signIn("bob", APP, { resource: API });
    expect((await wardenRefusal(new ProviderTokens(config()).verify(access_token))).code).toBe("FORBIDDEN");
  });

  it("an exchanged token (RFC 8693) is the agent's, acting for the verified user", async () => {
    const { access_token } = await idp.signIn("ann", APP, { resource: API });
    const exchanged = await idp.exchange(AGENT, access_token, API);
    const who = await new ProviderTokens(config()).verify(exchanged);
    expect(who).toMatchObject({ role: "agent", agent: "support-bot", onBehalfOf: "ann@example.com" });
  });

  it("refuses a token for another audience", async () => {
    const token = await idp.clientCredentials(AGENT, OTHER);
    expect(await wardenRefusal(new ProviderTokens(config()).verify(token))).toEqual({
      code: "TOKEN_INVALID",
      reason: "audience",
    });
  });

  it("refuses an expired token (the clock is the verifier's, injected)", async () => {
    const token = await idp.clientCredentials(AGENT, API);
    const later = new ProviderTokens(config(), { now: () => Date.now() + 2 * 3600_000 });
    expect(await wardenRefusal(later.verify(token))).toEqual({ code: "TOKEN_INVALID", reason: "expired" });
  });

  it("refuses a token signed by another provider's keys", async () => {
    const token = await other.clientCredentials(AGENT, API);
    expect((await wardenRefusal(new ProviderTokens(config()).verify(token))).code).toBe("TOKEN_INVALID");
  });

  it("refuses an ID token presented as a bearer token", async () => {
    const { id_token } = await idp.signIn("ann", APP);
    const tokens = new ProviderTokens(config({ audience: APP.id }));
    expect((await wardenRefusal(tokens.verify(id_token))).code).toBe("TOKEN_INVALID");
  });

  it("refuses a token without a role group, and garbage", async () => {
    const tokens = new ProviderTokens(config());
    expect((await wardenRefusal(tokens.verify(await idp.clientCredentials(STRANGER, API)))).code).toBe(
      "FORBIDDEN",
    );
    expect(await wardenRefusal(tokens.verify("not.a.jwt"))).toEqual({
      code: "TOKEN_INVALID",
      reason: "malformed",
    });
  });

  it("follows a key rotation, fetching the JWKS again at most once per cooldown", async () => {
    let now = Date.now();
    const fetched: string[] = [];
    const counting = (url: string, init?: RequestInit) => {
      fetched.push(url);
      return fetch(url, init);
    };
    const tokens = new ProviderTokens(config(), { now: () => now, fetch: counting, jwksCooldownMs: 30_000 });
    await tokens.verify(await idp.clientCredentials(AGENT, API));
    const jwksFetches = () => fetched.filter((u) => !u.includes(".well-known")).length;
    expect(jwksFetches()).toBe(1);

    await idp.rotateKeys();
    const rotated = await idp.clientCredentials(AGENT, API);
    // Within the cooldown an unknown key id is refused without asking the provider again.
    expect(await wardenRefusal(tokens.verify(rotated))).toEqual({
      code: "TOKEN_INVALID",
      reason: "unknown-key",
    });
    expect(jwksFetches()).toBe(1);
    now += 31_000;
    await expect(tokens.verify(rotated)).resolves.toMatchObject({ agent: "support-bot" });
    expect(jwksFetches()).toBe(2);
  });

  it("stops accepting a key the provider removed once the cached keys are older than their maximum age", async () => {
    let now = Date.now();
    const tokens = new ProviderTokens(config(), { now: () => now, jwksMaxAgeMs: 60_000 });
    const old = await idp.clientCredentials(AGENT, API);
    await tokens.verify(old);
    await idp.rotateKeys({ dropOld: true });
    await expect(tokens.verify(old)).resolves.toBeDefined();
    now += 61_000;
    expect(await wardenRefusal(tokens.verify(old))).toEqual({ code: "TOKEN_INVALID", reason: "unknown-key" });
  });

  it("fails closed with PROVIDER_UNAVAILABLE when the provider cannot be reached", async () => {
    const down = new ProviderTokens(providerConfig({ issuer: "http://127.0.0.1:9", audience: API }));
    const token = await idp.clientCredentials(AGENT, API);
    expect((await wardenRefusal(down.verify(token))).code).toBe("PROVIDER_UNAVAILABLE");
  });
});
