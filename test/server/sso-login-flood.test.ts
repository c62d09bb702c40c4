// Starting a sign-in needs no authentication, so it must cost the server no memory anyone can fill: the
// state, nonce and PKCE verifier travel sealed in the browser's cookie. 10,000 starts by someone else no
// longer push out a person's sign-in, and the callback still checks state, nonce and PKCE.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { providerConfig, SignOn } from "../../src/identity/provider/index.js";
import { createApp, Metrics, type RunningServer, startServer } from "../../src/server/index.js";
import { SSO_STATE_COOKIE } from "../../src/server/sso-routes.js";
import type { Warden } from "../../src/warden.js";
import { onCleanup, openWarden, wardenRefusal } from "../helpers.js";
import { LocalProvider } from "../identity/local-provider.js";

const FLOOD = 10_000;
/** A Warden reached over https (the requests are handed to the app in process). */
const HTTPS_SITE = "https://warden.example.com";
let idp: LocalProvider;
let warden: Warden;
let server: RunningServer;

beforeAll(async () => {
  idp = await LocalProvider.listen();
  ({ warden } = await openWarden({
    allowed_tools: ["x"],
    identity: {
      provider: { issuer: idp.issuer, clientId: "warden-dashboard", roles: { approver: ["approvers"] } },
    },
  }));
  server = await startServer(warden, { host: "127.0.0.1", port: 0 });
  await idp.configure({
    users: { ann: { email: "ann@example.com", groups: ["approvers"] } },
    clients: [
      {
        id: "warden-dashboard",
        redirectUris: [`${server.url}/ui/sso/callback`, `${HTTPS_SITE}/ui/sso/callback`],
      },
    ],
    resources: [],
  });
});

afterAll(async () => {
  await server?.close();
  await idp?.close();
});

/** GET /ui/sso/login: the provider's URL and the sealed cookie. */
async function startLogin(next = "/approvals"): Promise<{ url: string; cookie: string }> {
  const res = await fetch(`${server.url}/ui/sso/login?next=${encodeURIComponent(next)}`, {
    redirect: "manual",
  });
  const cookie = new RegExp(`${SSO_STATE_COOKIE}=([^;]+)`).exec(res.headers.get("set-cookie") ?? "")?.[1];
  if (res.status !== 302 || !cookie) throw new Error(`login start answered ${res.status}`);
  return { url: res.headers.get("location") ?? "", cookie };
}

/** The callback as the browser would send it; where it is redirected to. */
async function callback(back: URL, cookie: string | null): Promise<string | null> {
  const res = await fetch(back, {
    redirect: "manual",
    headers: cookie === null ? {} : { cookie: `${SSO_STATE_COOKIE}=${cookie}` },
  });
  return res.headers.get("location");
}

describe("single sign-on start", () => {
  it("a person's sign-in survives 10,000 unauthenticated starts by someone else", async () => {
    const ann = await startLogin();
    const back = await idp.authorize(ann.url, "ann", `${server.url}/ui/sso/callback`);
    for (let i = 0; i < FLOOD; i += 200) await Promise.all(Array.from({ length: 200 }, () => startLogin()));
    expect(await callback(back, ann.cookie)).toBe("/approvals");
    // Used once: the same callback and cookie again open no second session.
    expect(await callback(back, ann.cookie)).toBe("/login?sso_error=SSO_FAILED");
  }, 60_000);

  it("the callback URL alone, another sign-in's cookie or an altered one sign no one on", async () => {
    const ann = await startLogin();
    const back = await idp.authorize(ann.url, "ann", `${server.url}/ui/sso/callback`);
    const other = await startLogin();
    const flipped = Buffer.from(ann.cookie, "base64url");
    flipped[20] = (flipped[20] ?? 0) ^ 1;
    for (const cookie of [null, other.cookie, flipped.toString("base64url"), "x".repeat(64)]) {
      expect(await callback(back, cookie)).toBe("/login?sso_error=SSO_FAILED");
    }
    // None of those spent the sign-in: its own browser still completes it.
    expect(await callback(back, ann.cookie)).toBe("/approvals");
  });

  it("a sign-in finishes only under the key that sealed it", async () => {
    const config = providerConfig({
      issuer: idp.issuer,
      clientId: "warden-dashboard",
      roles: { approver: ["approvers"] },
    });
    const key = new Uint8Array(32).fill(7);
    const started = new SignOn(config, { clientSecret: null, sealKey: key });
    const redirect = `${server.url}/ui/sso/callback`;
    const elsewhere = await started.start(redirect, "/");
    const back = await idp.authorize(elsewhere.url, "ann", redirect);
    const stranger = new SignOn(config, { clientSecret: null });
    expect(await wardenRefusal(stranger.finish(back, elsewhere.state))).toEqual({
      code: "SSO_FAILED",
      reason: "state",
    });
    // The same key (a SignOn rebuilt after a policy reload) finishes it.
    const again = new SignOn(config, { clientSecret: null, sealKey: key });
    await expect(again.finish(back, elsewhere.state)).resolves.toMatchObject({
      identity: { name: "ann@example.com" },
    });
  });

  it("on https the sign-in's cookie is host-only by name: one set by another host of the site is not read", async () => {
    const metrics = new Metrics(warden.ledger);
    onCleanup(() => metrics.close());
    // Served on a network address: a loopback listener would refuse the host name (the site check).
    const app = createApp(warden, metrics, { host: "0.0.0.0" });
    const start = await app.request(`${HTTPS_SITE}/ui/sso/login?next=/approvals`);
    const setCookie = start.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(
      /^__Host-warden_sso_state=[^;]+; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    const sealed = /=([^;]+)/.exec(setCookie)?.[1] ?? "";
    const redirect = `${HTTPS_SITE}/ui/sso/callback`;
    const back = await idp.authorize(start.headers.get("location") ?? "", "ann", redirect);
    const finish = (cookie: string) => app.request(back.href, { headers: { cookie } });
    // The same sealed sign-in under the plain name, as a sibling host could set it for the whole domain.
    expect((await finish(`${SSO_STATE_COOKIE}=${sealed}`)).headers.get("location")).toBe(
      "/login?sso_error=SSO_FAILED",
    );
    const done = await finish(`__Host-${SSO_STATE_COOKIE}=${sealed}`);
    expect(done.headers.get("location")).toBe("/approvals");
    expect(done.headers.get("set-cookie")).toMatch(/__Host-warden_session=[A-Za-z0-9_-]{43}; Path=\/;/);
  });
});
