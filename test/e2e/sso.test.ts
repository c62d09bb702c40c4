// Single sign-on in real headless Chromium: the dashboard against a real OpenID provider (oidc-provider) on
// 127.0.0.1. A person signs in with the provider's login form, approves a call (the ledger names their
// verified email), signs out at the provider; and each refusal: a user without the group, an ID token for
// another audience, an expired one, a replayed callback, a session outliving its ID token.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildWeb } from "../../scripts/build-web.mjs";
import { type Session, Warden } from "../../src/index.js";
import { type RunningServer, startServer } from "../../src/server/index.js";
import { LocalProvider } from "../identity/local-provider.js";
import { launchChromium } from "./chromium.js";

const SHOTS = join(import.meta.dirname, "../..", "test-output", "screenshots");

let idp: LocalProvider;
let warden: Warden;
let dir: string;
let server: RunningServer;
let browser: Browser;
let session: Session;
/** How far the server's clock runs ahead of the real one (sessions expire by it). */
let skewMs = 0;

beforeAll(async () => {
  await buildWeb();
  mkdirSync(SHOTS, { recursive: true });
  idp = await LocalProvider.listen();
  dir = mkdtempSync(join(tmpdir(), "warden-sso-"));
  warden = await Warden.open({
    db: join(dir, "ledger.db"),
    policy: {
      rules: [
        { id: "refund-needs-human", tools: ["refund"], decision: "ask", reason: "refunds need a human" },
      ],
      identity: {
        provider: {
          issuer: idp.issuer,
          clientId: "warden-dashboard",
          roles: { approver: ["security-approvers"], auditor: ["auditors"] },
        },
      },
    },
  });
  server = await startServer(warden, { host: "127.0.0.1", port: 0, now: () => Date.now() + skewMs });
  await idp.configure({
    users: {
      ann: { email: "ann@example.com", groups: ["security-approvers"] },
      bob: { email: "bob@example.com", groups: ["sales"] },
    },
    clients: [
      {
        id: "warden-dashboard",
        redirectUris: [`${server.url}/ui/sso/callback`],
        postLogoutRedirectUris: [`${server.url}/login`],
      },
    ],
    resources: [],
  });
  session = await warden.session({
    agent: "support-bot",
    onBehalfOf: "alice@example.com",
    intent: "refunds",
  });
  browser = await launchChromium("the single sign-on e2e test");
}, 60_000);

afterEach(() => {
  idp.tamper = null;
  skewMs = 0;
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await warden?.close();
  await idp?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(8_000);
  return { context, page: await context.newPage() };
}

/** From a Warden page to the provider's login form and back; resolves with the callback URL the browser used. */
async function signOnAs(page: Page, user: string, path = "/approvals"): Promise<string> {
  let callback = "";
  page.on("request", (r) => {
    if (r.url().startsWith(`${server.url}/ui/sso/callback`)) callback = r.url();
  });
  await page.goto(`${server.url}${path}`);
  await page.waitForURL(/\/login\?next=/);
  // The token form stays for automation, beside the provider's button.
  await page.locator('input[name="token"]').waitFor();
  await page.getByTestId("sso-login").click();
  await page.waitForURL((u) => u.href.startsWith(idp.issuer));
  await page.fill('input[name="login"]', user);
  await page.fill('input[name="password"]', "any password: the provider's development login");
  await page.click('button[type="submit"]');
  await page.waitForURL((u) => u.href.startsWith(server.url) && !u.pathname.startsWith("/ui/sso"));
  return callback;
}

async function ssoError(page: Page): Promise<string | null> {
  const box = page.getByTestId("sso-error");
  await box.waitFor();
  return box.getAttribute("data-code");
}

describe("single sign-on in Chromium", () => {
  it("a person in the approvers group signs in, approves as their verified email, and signs out at the provider", async () => {
    const { context, page } = await newPage();
    await signOnAs(page, "ann");
    await page.waitForURL(/\/approvals$/);
    await page.getByTestId("whoami").getByText("ann@example.com").waitFor();
    await expect(page.getByTestId("whoami").textContent()).resolves.toContain("(approver)");

    const refund = session.guard("refund", async (a: { amount: number }) => ({ refunded: a.amount }));
    const running = refund.with({ rationale: "charged twice" })({ amount: 30 });
    running.catch(() => undefined);
    const row = page.getByTestId("pending-approvals").locator("tr", { hasText: "refund" }).first();
    await row.waitFor({ timeout: 10_000 });
    await row.getByRole("link", { name: "refund" }).click();
    await page.getByRole("button", { name: "Approve", exact: true }).click();
    await page.getByRole("button", { name: "Confirm approve" }).click();
    await expect(running).resolves.toEqual({ refunded: 30 });
    const [decision] = await warden.ledger.store.query({ kinds: ["approval.decision"], limit: 1 });
    expect(decision?.data).toMatchObject({ decision: "approve", approver: "ann@example.com", via: "sso" });
    await page.screenshot({ path: join(SHOTS, "sso-approved.png"), fullPage: true });

    // Signing out ends the provider's session too: its logout page, then back to Warden's login.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((u) => u.href.startsWith(idp.issuer));
    await page.getByRole("button", { name: /Yes, sign me out/ }).click();
    await page.waitForURL(/\/login/);
    await page.getByTestId("sso-login").waitFor();
    const me = await page.evaluate(async () => (await fetch("/ui/me")).status);
    expect(me).toBe(401);
    await context.close();
  });

  it("a person in no mapped group is refused", async () => {
    const { context, page } = await newPage();
    await signOnAs(page, "bob");
    expect(await ssoError(page)).toBe("FORBIDDEN");
    await page.screenshot({ path: join(SHOTS, "sso-no-group.png"), fullPage: true });
    await context.close();
  });

  it("an ID token for another audience is refused", async () => {
    idp.tamper = (claims) => ({ ...claims, aud: "some-other-client" });
    const { context, page } = await newPage();
    await signOnAs(page, "ann");
    expect(await ssoError(page)).toBe("SSO_FAILED");
    expect(await page.evaluate(async () => (await fetch("/ui/me")).status)).toBe(401);
    await context.close();
  });

  it("an expired ID token is refused", async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    idp.tamper = (claims) => ({ ...claims, iat: past - 3600, exp: past });
    const { context, page } = await newPage();
    await signOnAs(page, "ann");
    expect(await ssoError(page)).toBe("SSO_FAILED");
    await context.close();
  });

  it("a replayed callback (its state already used) opens no session, in this browser or another", async () => {
    const first = await newPage();
    const callback = await signOnAs(first.page, "ann");
    expect(callback).toContain("state=");
    await first.page.getByTestId("whoami").waitFor();
    const other = await newPage();
    await other.page.goto(callback);
    expect(await ssoError(other.page)).toBe("SSO_FAILED");
    expect(await other.page.evaluate(async () => (await fetch("/ui/me")).status)).toBe(401);
    // The same browser, bringing its own used state back: refused as well.
    const again = await first.page.request.get(callback, { maxRedirects: 0 });
    expect(again.headers().location).toBe("/login?sso_error=SSO_FAILED");
    await first.context.close();
    await other.context.close();
  });

  it("the dashboard session ends when the provider's ID token expires", async () => {
    const { context, page } = await newPage();
    await signOnAs(page, "ann");
    await page.getByTestId("whoami").waitFor();
    skewMs = 3600_000 + 1_000;
    await page.reload();
    await page.waitForURL(/\/login/);
    await page.getByTestId("sso-login").waitFor();
    await context.close();
  });
});
