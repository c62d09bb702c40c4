// The SOC's dashboard in real headless Chromium: Alerts, the ledger browser, role-aware links, and every page at phone size.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWeb } from "../../scripts/build-web.mjs";
import { DEMO_POLICY, seedDemoLedger } from "../../scripts/demo-ledger.mjs";
import { Warden } from "../../src/index.js";
import { createToken, type RunningServer, startServer } from "../../src/server/index.js";
import { launchChromium } from "./chromium.js";

const SHOTS = join(import.meta.dirname, "../..", "test-output", "screenshots");
const PHONE = { width: 390, height: 844 };
/** A page reloads its list after a filter changes: wait for it as long as for any step. */
const POLL = { timeout: 8_000 };

let warden: Warden;
let dir: string;
let server: RunningServer;
let browser: Browser;
let pending: Promise<unknown>;
const tokens: Record<"approver" | "auditor" | "admin", string> = { approver: "", auditor: "", admin: "" };

beforeAll(async () => {
  await buildWeb();
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), "warden-soc-"));
  // No timer checkpoints: the open session's records stay unsigned, so the page can show that state.
  warden = await Warden.open({ policy: DEMO_POLICY, db: join(dir, "ledger.db"), checkpointSeconds: 0 });
  server = await startServer(warden, { host: "127.0.0.1", port: 0 });
  const store = warden.ledger.store;
  tokens.approver = (await createToken(store, { role: "approver", name: "ann@example.com" })).token;
  tokens.auditor = (await createToken(store, { role: "auditor", name: "audrey@example.com" })).token;
  tokens.admin = (await createToken(store, { role: "admin", name: "root@example.com" })).token;
  ({ pending } = await seedDemoLedger(warden));
  browser = await launchChromium("the dashboard e2e test");
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await warden?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function signIn(
  role: keyof typeof tokens,
  viewport = { width: 1360, height: 900 },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(8_000);
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.fill('input[name="token"]', tokens[role]);
  await page.click('button[type="submit"]');
  await page.getByTestId("whoami").waitFor();
  return { context, page };
}

/** How far the page reaches past the viewport's right edge, in CSS pixels (0: no horizontal overflow). */
async function overflowX(page: Page): Promise<number> {
  return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth");
}

describe("the SOC's dashboard in Chromium", () => {
  it("Alerts: severity, detector, calls and session, with filters; the call page links its alerts and approval", async () => {
    const { context, page } = await signIn("auditor");
    await page.getByRole("link", { name: "Alerts" }).click();
    const table = page.getByTestId("alerts");
    await table.locator("tr", { hasText: "canary" }).getByText("critical").waitFor();
    await table.locator("tr", { hasText: "intent" }).getByText("medium").waitFor();
    await page.getByLabel("Severity").selectOption("critical,high");
    await table.locator("tbody tr").first().waitFor();
    await expect.poll(() => table.locator("tbody tr").count(), POLL).toBe(1);
    expect(new URL(page.url()).searchParams.get("severity")).toBe("critical,high");
    await page.getByLabel("Severity").selectOption("");
    await page.getByLabel("Detector").fill("intent");
    await expect.poll(() => table.locator("tbody tr").count(), POLL).toBe(1);
    // From the alert to the call that raised it, and from there to its session.
    await table
      .locator("tbody tr")
      .first()
      .getByRole("link", { name: /call_export/ })
      .click();
    await page.waitForURL(/\/calls\/call_export_offintent$/);
    await page.getByTestId("call-alerts").getByText("intent", { exact: true }).waitFor();

    // A call that waited for a person links its approval.
    await page.goto(`${server.url}/calls/call_refund_a1001`);
    await page
      .getByTestId("call-approval")
      .getByRole("link", { name: /Open approval/ })
      .click();
    await page.waitForURL(/\/approvals\/[^/]+$/);
    await page.locator("h1 .badge", { hasText: "approved" }).waitFor();
    await context.close();
  });

  it("Ledger: filtered, paged records linking calls and sessions, with the range's verification shown", async () => {
    const { context, page } = await signIn("auditor");
    await page.getByRole("link", { name: "Ledger" }).click();
    const verdict = page.getByTestId("range-verification");
    // The newest records belong to the session still open: intact, not yet signed.
    await verdict.getByText("Chain intact").waitFor();
    await page.getByLabel("User", { exact: true }).fill("bob@example.com");
    const rows = page.getByTestId("records").locator("tbody tr");
    await rows.first().getByText("billing-bot").waitFor();
    await verdict.getByText("Verified").waitFor();
    expect(await verdict.getAttribute("data-state")).toBe("sealed");
    await page.getByLabel("Kind").selectOption("call.intent");
    await expect.poll(() => rows.count(), POLL).toBe(26);
    await page.getByLabel("Tool", { exact: true }).fill("read_invoice");
    await expect.poll(() => rows.count(), POLL).toBe(24);

    // Paging: the whole ledger, 50 at a time, older and back.
    await page.goto(`${server.url}/ledger`);
    await rows.first().waitFor();
    const firstSeq = await rows.first().locator("td").first().textContent();
    await page.getByRole("button", { name: "Older →" }).click();
    await page.getByText("page 2").waitFor();
    await expect.poll(() => rows.first().locator("td").first().textContent(), POLL).not.toBe(firstSeq);
    await page.getByRole("button", { name: "← Newer" }).click();
    await expect.poll(() => rows.first().locator("td").first().textContent(), POLL).toBe(firstSeq);

    // Each record links its call and session.
    await page.goto(`${server.url}/ledger?call=call_ticket_4521`);
    await rows
      .first()
      .getByRole("link", { name: /call_ticket/ })
      .click();
    await page.waitForURL(/\/calls\/call_ticket_4521$/);
    await page.getByTestId("chain").getByText("alice@example.com").waitFor();
    await page.goBack();
    await rows.first().locator("td").nth(6).getByRole("link").click();
    await page.waitForURL(/\/sessions\/[^/]+$/);
    await page.getByText("answer ticket #4521").first().waitFor();
    await context.close();
  });

  it("an approver is offered only what the role opens; a direct URL says so plainly", async () => {
    const { context, page } = await signIn("approver");
    const nav = page.locator("header nav");
    await nav.getByRole("link", { name: "Approvals" }).click();
    for (const hidden of ["Alerts", "Ledger", "Sessions"])
      expect(await nav.getByRole("link", { name: hidden }).count()).toBe(0);
    // The approval page names the session and call, but as text: the role cannot open them.
    await page.getByTestId("pending-approvals").getByRole("link", { name: "refund" }).first().click();
    await page.getByTestId("decision-form").waitFor();
    expect(await page.locator('a[href^="/calls/"], a[href^="/sessions/"]').count()).toBe(0);
    for (const path of ["/ledger", "/alerts", "/sessions", "/calls/call_ticket_4521", "/sessions/x"]) {
      await page.goto(`${server.url}${path}`);
      await page
        .getByTestId("forbidden-page")
        .getByText("Your role (approver) cannot see this page")
        .waitFor();
    }
    // No page the role can reach shows the API's refusal.
    for (const path of ["/feed", "/approvals", "/agents", "/agents/support-bot", "/integrity"]) {
      await page.goto(`${server.url}${path}`);
      await page.locator("main h1").first().waitFor();
      await page.waitForLoadState("networkidle");
      expect(await page.locator("main").textContent(), path).not.toContain("FORBIDDEN");
      expect(await page.locator('main a[href^="/calls/"], main a[href^="/sessions/"]').count(), path).toBe(0);
    }
    await context.close();
  });

  // Every page loaded to network idle, in two sign-ins: far longer than the default 30 s on a loaded machine.
  it("at 390×844 no page overflows sideways, and the approval page's approve/deny are reachable", async () => {
    const auditorPages = ["/feed", "/approvals", "/alerts", "/ledger", "/sessions", "/agents", "/integrity"];
    const detail = ["/calls/call_refund_a1001", "/agents/support-bot"];
    const { context, page } = await signIn("auditor", PHONE);
    const sessionLink = await (async () => {
      await page.goto(`${server.url}/sessions`);
      return page.locator('main a[href^="/sessions/"]').first().getAttribute("href");
    })();
    for (const path of [...auditorPages, ...detail, sessionLink ?? "/sessions"]) {
      await page.goto(`${server.url}${path}`);
      await page
        .locator("main h1")
        .first()
        .waitFor()
        .catch(async (err: unknown) => {
          await page.screenshot({ path: join(SHOTS, "phone-failed.png"), fullPage: true });
          throw new Error(`${path}: ${String(err)}`);
        });
      await page.waitForLoadState("networkidle");
      expect(await overflowX(page), path).toBe(0);
    }
    await page.goto(`${server.url}/ledger`);
    await page.getByTestId("records").waitFor();
    await page.screenshot({ path: join(SHOTS, "phone-ledger.png"), fullPage: true });
    await context.close();

    const approver = await signIn("approver", PHONE);
    const p = approver.page;
    await p.goto(`${server.url}/approvals`);
    await p.getByTestId("pending-approvals").getByRole("link", { name: "refund" }).first().click();
    await p.getByTestId("decision-form").waitFor();
    await p.waitForLoadState("networkidle");
    expect(await overflowX(p)).toBe(0);
    // Readable: the arguments and the agent's reason are on screen at a legible size, not cut off.
    const rationale = p.getByText("the parcel arrived damaged", { exact: false }).first();
    await rationale.waitFor();
    const box = await rationale.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= PHONE.width).toBe(true);
    // Runs in the page; this file is compiled without the DOM's types.
    type Css = { getComputedStyle(el: unknown): { fontSize: string } };
    const fontPx = Number.parseFloat(
      await rationale.evaluate((el) => (globalThis as unknown as Css).getComputedStyle(el).fontSize),
    );
    expect(fontPx).toBeGreaterThanOrEqual(13);
    for (const name of ["Approve", "Deny"]) {
      const button = p.getByRole("button", { name, exact: true });
      await button.scrollIntoViewIfNeeded();
      const b = await button.boundingBox();
      expect(b && b.x >= 0 && b.x + b.width <= PHONE.width && b.height >= 32, name).toBe(true);
    }
    await p.screenshot({ path: join(SHOTS, "phone-approval.png"), fullPage: true });
    await p.getByRole("button", { name: "Approve", exact: true }).click();
    const confirm = p.getByRole("button", { name: "Confirm approve" });
    await confirm.scrollIntoViewIfNeeded();
    await confirm.click();
    await expect(pending).resolves.toMatchObject({ tool: "refund", ok: true });
    await p.locator("h1 .badge", { hasText: "approved" }).waitFor();
    await approver.context.close();

    // The approver's pages at phone size too.
    const again = await signIn("approver", PHONE);
    for (const path of ["/feed", "/approvals", "/agents", "/integrity", "/ledger"]) {
      await again.page.goto(`${server.url}${path}`);
      await again.page.locator("main h1").first().waitFor();
      await again.page.waitForLoadState("networkidle");
      expect(await overflowX(again.page), path).toBe(0);
    }
    await again.context.close();
  }, 90_000);
});
