// The single sign-on relying party against a real OpenID provider on 127.0.0.1, without a browser: the
// state is used once, within its window, by the browser that started it; the ID token's claims decide.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { providerConfig, SIGN_ON_WINDOW_MS, SignOn } from "../../../src/identity/provider/index.js";
import { wardenRefusal } from "../../helpers.js";
import { LocalProvider } from "../local-provider.js";

const CALLBACK = "http://127.0.0.1:9/ui/sso/callback";
let idp: LocalProvider;

function signOn(now: () => number = Date.now): SignOn {
  const config = providerConfig({
    issuer: idp.issuer,
    clientId: "warden-dashboard",
    roles: { approver: ["security-approvers"], agent: ["warden-agents"] },
  });
  return new SignOn(config, { clientSecret: null, now });
}

async function code(sso: SignOn, user: string): Promise<{ back: URL; state: string }> {
  const { url, state } = await sso.start(CALLBACK, "/approvals");
  return { back: await idp.authorize(url, user, CALLBACK), state };
}

beforeAll(async () => {
  idp = await LocalProvider.listen();
  await idp.configure({
    users: {
      ann: { email: "ann@example.com", groups: ["security-approvers"] },
      robot: { email: "robot@example.com", groups: ["warden-agents"] },
    },
    clients: [
      { id: "warden-dashboard", redirectUris: [CALLBACK] },
      { id: "warden-confidential", secret: "confidential-client-secret-0123", redirectUris: [CALLBACK] },
    ],
    resources: [],
  });
});

afterAll(async () => {
  await idp?.close();
});

describe("SignOn", () => {
  it("completes a sign-in: the person, their role, where they were going", async () => {
    const sso = signOn();
    const { back, state } = await code(sso, "ann");
    const done = await sso.finish(back, state);
    expect(done.identity).toMatchObject({ role: "approver", name: "ann@example.com", subject: "ann" });
    expect(done.next).toBe("/approvals");
    // The same callback again: its state was used.
    expect(await wardenRefusal(sso.finish(back, state))).toEqual({ code: "SSO_FAILED", reason: "state" });
  });

  it("refuses a callback brought back by another browser (its state cookie differs or is missing)", async () => {
    const sso = signOn();
    const { back } = await code(sso, "ann");
    expect(await wardenRefusal(sso.finish(back, undefined))).toEqual({ code: "SSO_FAILED", reason: "state" });
  });

  it("refuses a callback after the sign-in window (an injected clock)", async () => {
    let now = Date.now();
    const sso = signOn(() => now);
    const { back, state } = await code(sso, "ann");
    now += SIGN_ON_WINDOW_MS + 1;
    expect(await wardenRefusal(sso.finish(back, state))).toEqual({ code: "SSO_FAILED", reason: "state" });
  });

  it("signs in as a confidential client (clientSecretEnv), and not with a wrong secret", async () => {
    const config = providerConfig({
      issuer: idp.issuer,
      clientId: "warden-confidential",
      clientSecretEnv: "WARDEN_OIDC_SECRET",
      roles: { approver: ["security-approvers"] },
    });
    const right = new SignOn(config, { clientSecret: "confidential-client-secret-0123" });
    const ok = await code(right, "ann");
    await expect(right.finish(ok.back, ok.state)).resolves.toMatchObject({
      identity: { name: "ann@example.com" },
    });
    const wrong = new SignOn(config, { clientSecret: "not-the-secret-0000000000000" });
    const refused = await code(wrong, "ann");
    expect((await wardenRefusal(wrong.finish(refused.back, refused.state))).code).toBe("SSO_FAILED");
  });

  it("refuses an agent's identity at the dashboard", async () => {
    const sso = signOn();
    const { back, state } = await code(sso, "robot");
    expect((await wardenRefusal(sso.finish(back, state))).code).toBe("FORBIDDEN");
  });

  it("builds the provider's logout URL with the ID token as hint", async () => {
    const sso = signOn();
    const { back, state } = await code(sso, "ann");
    const done = await sso.finish(back, state);
    const logout = new URL((await sso.logoutUrl(done.idToken, "http://127.0.0.1:9/login")) ?? "");
    expect(logout.origin).toBe(idp.issuer);
    expect(logout.searchParams.get("id_token_hint")).toBe(done.idToken);
  });
});
