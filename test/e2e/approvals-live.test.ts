// The Approvals page in real headless Chromium: an approval asked after the page's first read of the list
// but before its live stream opened reaches no stream listener, so the page must read the list again once
// the stream opens. The browser holds the stream's request to make that window as wide as the test needs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Route } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildWeb } from "../../scripts/build-web.mjs";
import { Warden } from "../../src/index.js";
import { createToken, type RunningServer, startServer } from "../../src/server/index.js";
import { launchChromium } from "./chromium.js";

const POLICY = {
  agents: { "support-bot": { team: "support", developer: "dana@example.com", tools: ["refund"] } },
  rules: [{ id: "refund-needs-human", tools: ["refund"], decision: "ask", reason: "refunds need a human" }],
};

let warden: Warden;
let dir: string;
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  await buildWeb();
  dir = mkdtempSync(join(tmpdir(), "warden-approvals-live-"));
  warden = await Warden.open({ policy: POLICY, db: join(dir, "ledger.db") });
  server = await startServer(warden, { host: "127.0.0.1", port: 0 });
  browser = await launchChromium("the approvals page e2e test");
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await warden?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Holds the first request for the live stream until `release()`; later ones go through at once. */
function holdFirstStream() {
  let held: (route: Route) => void = () => undefined;
  const arrived = new Promise<Route>((resolve) => {
    held = resolve;
  });
  let first = true;
  const handler = (route: Route) => {
    if (!first) return route.continue();
    first = false;
    held(route);
  };
  return { handler, arrived, release: async () => (await arrived).continue() };
}

it("shows an approval asked while its live stream was still opening, without a reload", async () => {
  const { token } = await createToken(warden.ledger.store, { role: "approver", name: "ann@example.com" });
  const context = await browser.newContext();
  context.setDefaultTimeout(8_000);
  const stream = holdFirstStream();
  await context.route("**/v1/events", stream.handler);
  const page = await context.newPage();
  let reloads = 0;
  page.on("load", () => {
    reloads++;
  });

  await page.goto(`${server.url}/approvals`);
  await page.waitForURL(/\/login\?next=/);
  await page.fill('input[name="token"]', token);
  await page.click('button[type="submit"]');
  await page.waitForURL(/\/approvals$/);
  // The page has read its (empty) list, and its stream is held before it reached the server.
  await page.getByText("Nothing is waiting.").waitFor();
  await stream.arrived;
  await page.getByTestId("live").filter({ hasText: "connecting" }).waitFor();
  const loadsBefore = reloads;

  // Asked in the window: durable in the ledger before the stream exists, so no stream will carry it.
  const session = await warden.session({
    agent: "support-bot",
    onBehalfOf: "alice@example.com",
    intent: "refund order A-1001",
  });
  const decision = await session.check("refund", { order: "A-1001", amount: 40 });
  expect(decision.approval?.status).toBe("pending");

  await stream.release();
  await page.getByTestId("live").filter({ hasText: "live" }).waitFor();
  const row = page.getByTestId("pending-approvals").locator("tr", { hasText: "refund" });
  await row.waitFor({ timeout: 5_000 });
  expect(await row.count()).toBe(1);
  expect(reloads).toBe(loadsBefore);
  await context.close();
});
