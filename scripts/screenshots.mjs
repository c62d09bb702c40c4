// `npm run screenshots`: the docs' pictures of the dashboard, taken in headless Chromium from a seeded demo ledger.
// Run after `npm run build` (the npm script does both). Writes docs/img/dashboard-*.png.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { Warden } from "../dist/index.js";
import { createToken, startServer } from "../dist/server/index.js";
import { DEMO_POLICY, seedDemoLedger } from "./demo-ledger.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "docs", "img");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const DESKTOP = { width: 1360, height: 860 };
const PHONE = { width: 390, height: 844 };

mkdirSync(out, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), "warden-screenshots-"));
const warden = await Warden.open({ policy: DEMO_POLICY, db: join(dir, "ledger.db") });
const server = await startServer(warden, { host: "127.0.0.1", port: 0 });
const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: ["--no-sandbox"],
});
let pending = null;
let session = null;
try {
  const store = warden.ledger.store;
  const approver = (await createToken(store, { role: "approver", name: "ann@example.com" })).token;
  const auditor = (await createToken(store, { role: "auditor", name: "audrey@example.com" })).token;
  ({ pending, session } = await seedDemoLedger(warden));

  const signIn = async (token, viewport) => {
    const context = await browser.newContext({ viewport, deviceScaleFactor: viewport === PHONE ? 2 : 1 });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    await page.goto(`${server.url}/login`);
    await page.fill('input[name="token"]', token);
    await page.click('button[type="submit"]');
    await page.getByTestId("whoami").waitFor();
    return { context, page };
  };
  const shoot = async (page, path, name, ready, fullPage = false) => {
    await page.goto(`${server.url}${path}`);
    await ready(page);
    await page.waitForLoadState("networkidle");
    await page.screenshot({ path: join(out, `dashboard-${name}.png`), fullPage });
    console.log(`docs/img/dashboard-${name}.png`);
  };

  const soc = await signIn(auditor, DESKTOP);
  await shoot(soc.page, "/feed", "feed", (p) => p.getByTestId("feed").waitFor());
  await shoot(soc.page, "/alerts", "alerts", (p) => p.getByTestId("alerts").waitFor());
  await shoot(soc.page, "/ledger?user=bob%40example.com", "ledger", (p) =>
    p.getByTestId("range-verification").waitFor(),
  );
  await shoot(
    soc.page,
    "/calls/call_refund_a1001",
    "call",
    (p) =>
      p.getByTestId("call-alerts").or(p.getByTestId("call-approval").getByRole("link")).first().waitFor(),
    true,
  );
  await shoot(soc.page, "/agents", "agents", (p) => p.locator("article.card").first().waitFor());
  await soc.page.goto(`${server.url}/integrity`);
  await soc.page.getByRole("button", { name: "Verify now" }).click();
  await shoot(soc.page, "/integrity", "integrity", (p) => p.getByTestId("verdict").waitFor());
  await soc.context.close();

  const desk = await signIn(approver, DESKTOP);
  await shoot(desk.page, "/approvals", "approvals", (p) => p.getByTestId("pending-approvals").waitFor());
  const href = await desk.page
    .getByTestId("pending-approvals")
    .getByRole("link", { name: "refund" })
    .first()
    .getAttribute("href");
  await shoot(desk.page, href, "approval", (p) => p.getByTestId("decision-form").waitFor(), true);
  await desk.context.close();

  const phone = await signIn(approver, PHONE);
  await shoot(phone.page, href, "approval-phone", (p) => p.getByTestId("decision-form").waitFor());
  await phone.context.close();
} finally {
  // End the session still waiting for its refund: the call stops with SESSION_ENDED, its approval closes.
  await session?.end("screenshots taken").catch(() => undefined);
  await pending?.catch(() => undefined);
  await browser.close();
  await server.close();
  await warden.close();
  rmSync(dir, { recursive: true, force: true });
}
