// The dashboard in real headless Chromium against a real server and SQLite ledger: approve, deny, roles, escaping.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWeb } from "../../scripts/build-web.mjs";
import { type Session, Warden, WardenError } from "../../src/index.js";
import { createToken, type RunningServer, startServer } from "../../src/server/index.js";
import { launchChromium } from "./chromium.js";

const ROOT = join(import.meta.dirname, "../..");
const SHOTS = join(ROOT, "test-output", "screenshots");
const XSS = "<script>alert(1)</script>";

const POLICY = {
  agents: {
    "support-bot": {
      team: "support",
      developer: "dana@example.com",
      description: "Answers customer tickets and issues small refunds",
      tools: ["read_ticket", "refund", "send_email"],
    },
  },
  rules: [
    { id: "read", tools: ["read_ticket"], decision: "allow" },
    { id: "no-mail", tools: ["send_email"], decision: "deny", reason: "mail is off" },
    { id: "refund-needs-human", tools: ["refund"], decision: "ask", reason: "refunds need a human" },
  ],
  redact: { refund: ["$.card"] },
};

let warden: Warden;
let dir: string;
let server: RunningServer;
let browser: Browser;
let approverToken: string;
let auditorToken: string;
let session: Session;
const dialogs: string[] = [];

beforeAll(async () => {
  await buildWeb();
  mkdirSync(SHOTS, { recursive: true });
  // Opened for the whole file (helpers' openWarden closes after each test): the tests share one server.
  dir = mkdtempSync(join(tmpdir(), "warden-dashboard-"));
  warden = await Warden.open({ policy: POLICY, db: join(dir, "ledger.db") });
  server = await startServer(warden, { host: "127.0.0.1", port: 0 });
  const store = warden.ledger.store;
  approverToken = (await createToken(store, { role: "approver", name: "ann@example.com" })).token;
  auditorToken = (await createToken(store, { role: "auditor", name: "audrey@example.com" })).token;
  session = await warden.session({
    agent: "support-bot",
    onBehalfOf: "alice@example.com",
    intent: "resolve ticket #4521 (double charge)",
  });
  const read = session.guard("read_ticket", async (a: { id: number; note: string }) => ({ id: a.id }));
  await read.with({ rationale: "read the ticket first", callId: "call_read_1" })({ id: 4521, note: XSS });
  await session.check("send_email", { to: "bob@example.com" }).catch(() => undefined);
  browser = await launchChromium("the dashboard e2e test");
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await warden?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh browser profile whose dialogs (an alert() would be one) are recorded and dismissed. */
async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  // Fail at the step that is stuck, well before the test's own timeout.
  context.setDefaultTimeout(8_000);
  const page = await context.newPage();
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  return { context, page };
}

async function signIn(token: string): Promise<{ context: BrowserContext; page: Page }> {
  const { context, page } = await newPage();
  await page.goto(`${server.url}/approvals`);
  // Signed out: the app sends us to the login page and back to /approvals after.
  await page.waitForURL(/\/login\?next=/);
  await page.fill('input[name="token"]', token);
  await page.click('button[type="submit"]');
  await page.waitForURL(/\/approvals$/);
  await page.getByTestId("live").filter({ hasText: "live" }).waitFor();
  return { context, page };
}

/** Starts a call whose policy says ask: the library call waits for a human. */
function askRefund(args: Record<string, unknown>) {
  const refund = session.guard("refund", async (a: Record<string, unknown>) => ({ refunded: a.amount }));
  const running = refund.with({ rationale: "the customer was charged twice for order A-1001" })(args);
  // Keep an unhandled rejection from failing the run before the test inspects it.
  running.catch(() => undefined);
  return running;
}

/** The id of the one pending approval, read over the API as an approver. */
async function pendingApprovalId(): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const res = await fetch(`${server.url}/v1/approvals?status=pending`, {
      headers: { authorization: `Bearer ${approverToken}` },
    });
    const { approvals } = (await res.json()) as { approvals: { id: string }[] };
    if (approvals[0]) return approvals[0].id;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("no pending approval appeared");
}

async function openPendingApproval(page: Page, tool = "refund"): Promise<string> {
  const row = page.getByTestId("pending-approvals").locator("tr", { hasText: tool }).first();
  await row.waitFor({ timeout: 10_000 });
  await row.getByRole("link", { name: tool }).click();
  await page.waitForURL(/\/approvals\/[^/?]+$/);
  await page.getByRole("heading", { name: /refund/ }).waitFor();
  return decodeURIComponent(new URL(page.url()).pathname.split("/").at(-1)!);
}

describe("dashboard in Chromium", () => {
  it("an auditor browses the feed, a call's chain, sessions, agents and integrity", async () => {
    const { context, page } = await signIn(auditorToken);
    await page.getByRole("link", { name: "Live feed" }).click();
    const feed = page.getByTestId("feed");
    await feed.locator("tr", { hasText: "send_email" }).getByText("deny").waitFor();
    // A call made while the page is open appears without a reload.
    await session.check("read_ticket", { id: 7, note: "live one" }, { callId: "call_live_1" });
    await feed.locator("tr", { hasText: "read_ticket" }).nth(1).waitFor();
    await page.getByLabel("Decision").selectOption("deny");
    await expect(feed.locator("tbody tr").count()).resolves.toBe(1);
    await page.getByLabel("Decision").selectOption("");
    await page.screenshot({ path: join(SHOTS, "feed.png"), fullPage: true });

    await page.goto(`${server.url}/calls/call_read_1`);
    await page.getByTestId("chain").getByText("alice@example.com").waitFor();
    // The argument holding a script tag is shown as text, and nothing ran.
    await page.locator("pre.json").getByText(XSS, { exact: false }).waitFor();
    await page.screenshot({ path: join(SHOTS, "call.png"), fullPage: true });

    await page.getByRole("link", { name: "Sessions" }).click();
    await page.locator("tr", { hasText: "resolve ticket #4521" }).getByRole("link").first().click();
    await page.getByRole("cell", { name: "session.start" }).waitFor();

    await page.getByRole("link", { name: "Agents" }).click();
    await page.getByText("Answers customer tickets and issues small refunds").waitFor();
    await page.screenshot({ path: join(SHOTS, "agents.png"), fullPage: true });
    await page.getByRole("link", { name: "Integrity" }).click();
    await page.getByRole("button", { name: "Verify now" }).click();
    await page.getByTestId("verdict").getByText("Intact", { exact: true }).waitFor();
    await page.screenshot({ path: join(SHOTS, "integrity.png"), fullPage: true });
    await context.close();
  });

  it("an approver sees a pending call appear live and approves it; the waiting call completes", async () => {
    const { context, page } = await signIn(approverToken);
    await page.getByText("Nothing is waiting.").waitFor();
    await page.screenshot({ path: join(SHOTS, "approvals-empty.png"), fullPage: true });

    const running = askRefund({ order: "A-1001", amount: 30, card: "4111 1111 1111 1111", note: XSS });
    const id = await openPendingApproval(page);
    await page.goBack();
    await page.getByTestId("pending-approvals").waitFor();
    await page.screenshot({ path: join(SHOTS, "approvals.png"), fullPage: true });
    await page.goForward();
    await page.getByTestId("decision-form").waitFor();

    // Agent-supplied text is shown as text: the script tag is visible and never runs.
    await expect(page.locator("pre.json").getByText(XSS, { exact: false }).count()).resolves.toBeGreaterThan(
      0,
    );
    await page.getByText("the customer was charged twice for order A-1001").waitFor();
    await page.getByText("resolve ticket #4521 (double charge)").first().waitFor();
    // A decider reads the redacted card number (held, sealed, until decided); the ledger has its digest.
    const held = page.getByTestId("held-args");
    await held.locator(".redacted", { hasText: "4111 1111 1111 1111" }).waitFor();
    await held.getByText("As the ledger records them").click();
    await held.locator(".redacted", { hasText: "sha256:" }).waitFor();
    // The deadline counts down.
    await page
      .getByTestId("countdown")
      .getByText(/\d+:\d\d left|\d+ h \d\d min left/)
      .waitFor();
    await page.screenshot({ path: join(SHOTS, "approval-detail.png"), fullPage: true });

    await page.getByRole("button", { name: "Approve", exact: true }).click();
    // What remembering would cover is stated before the approver chooses it.
    await page.getByTestId("remember-scope").getByText("Approves this call only.").waitFor();
    await page.getByLabel("Remember").selectOption("session");
    await page
      .getByTestId("remember-scope")
      .getByText(/later `refund` calls with .*, for the rest of this session\./)
      .waitFor();
    await page
      .getByTestId("remember-rules")
      .getByText(/only in this session, for this agent, this user/)
      .waitFor();
    await page.getByLabel("Remember").selectOption("once");
    await page.getByRole("button", { name: "Confirm approve" }).click();
    await expect(running).resolves.toEqual({ refunded: 30 });
    await page.locator("h1 .badge", { hasText: "approved" }).waitFor();
    await page.locator("ul.decisions").getByText("ann@example.com").waitFor();
    await page.screenshot({ path: join(SHOTS, "approval-approved.png"), fullPage: true });

    // The ledger names the approver, and that the decision came from the dashboard.
    const decisions = await warden.ledger.store.query({ kinds: ["approval.decision"] });
    expect(decisions.map((r) => r.data)).toContainEqual(
      expect.objectContaining({
        approvalId: id,
        approver: "ann@example.com",
        decision: "approve",
        via: "dashboard",
      }),
    );

    // Decided: the held values are gone, also for the approver who read them.
    await page.reload();
    await page.locator("h1 .badge", { hasText: "approved" }).waitFor();
    expect(await page.getByTestId("held-args").count()).toBe(0);
    expect(await page.getByText("4111 1111 1111 1111").count()).toBe(0);

    // Approvers do not read the ledger history; their feed shows calls as they happen.
    await page.getByRole("link", { name: "Live feed" }).click();
    await page.getByText("Your role does not read the ledger history").waitFor();
    // "/" is the approvals queue for an approver.
    await page.goto(`${server.url}/`);
    await page.getByRole("heading", { name: "Approvals" }).waitFor();
    await context.close();

    // An auditor's feed and the call page say what became of the asked call.
    const auditor = await signIn(auditorToken);
    await auditor.page.goto(`${server.url}/`);
    await auditor.page.getByRole("heading", { name: "Live feed" }).waitFor();
    const row = auditor.page.getByTestId("feed").locator("tr", { hasText: "refund" }).first();
    await row
      .getByTestId("became")
      .getByText(/approved by ann@example\.com, ran:/)
      .waitFor();
    const [intent] = await warden.ledger.store.query({ kinds: ["call.intent"], tool: "refund", limit: 1 });
    await auditor.page.goto(`${server.url}/calls/${encodeURIComponent(intent!.callId!)}`);
    await auditor.page
      .getByTestId("call-became")
      .getByText(/asked, approved by ann@example\.com \(dashboard\), ran: ok/)
      .waitFor();
    await auditor.page.getByRole("link", { name: "the approval" }).click();
    await auditor.page.waitForURL(new RegExp(`/approvals/${id}$`));
    await auditor.context.close();
  });

  it("a denial with a reason rejects the waiting call with APPROVAL_DENIED and the reason", async () => {
    const { context, page } = await signIn(approverToken);
    const running = askRefund({ order: "A-1002", amount: 900 });
    await openPendingApproval(page);
    await page.getByRole("button", { name: "Deny", exact: true }).click();
    await page.fill('textarea[name="reason"]', "amount exceeds the ticket's charge");
    await page.getByRole("button", { name: "Confirm deny" }).click();
    const err = await running.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WardenError);
    expect((err as WardenError).code).toBe("APPROVAL_DENIED");
    expect((err as WardenError).message).toContain("amount exceeds the ticket's charge");
    await page.locator("h1 .badge", { hasText: "denied" }).waitFor();
    await context.close();
  });

  it("an auditor sees the approval without controls, and a forced POST is refused", async () => {
    const { context, page } = await signIn(auditorToken);
    const running = askRefund({ order: "A-1003", amount: 12 });
    const id = await openPendingApproval(page);
    await page.getByText("can see this approval but not decide it").waitFor();
    expect(await page.getByTestId("decision-form").count()).toBe(0);
    expect(await page.getByRole("button", { name: "Approve" }).count()).toBe(0);

    const forced = (await page.evaluate(`(async () => {
      const me = await (await fetch("/ui/me")).json();
      const detail = await (await fetch("/v1/approvals/${encodeURIComponent(id)}")).json();
      const res = await fetch("/v1/approvals/${encodeURIComponent(id)}/decision", {
        method: "POST",
        headers: { "content-type": "application/json", "x-warden-csrf": me.csrf },
        body: JSON.stringify({ decision: "approve", digest: detail.approval.digest }),
      });
      return { status: res.status, body: await res.json() };
    })()`)) as { status: number; body: { error: { code: string } } };
    expect(forced.status).toBe(403);
    expect(forced.body.error.code).toBe("FORBIDDEN");

    await context.close();

    // Release the waiting call: an approver denies it over the API.
    const detail = await fetch(`${server.url}/v1/approvals/${encodeURIComponent(id)}`, {
      headers: { authorization: `Bearer ${approverToken}` },
    }).then((r) => r.json() as Promise<{ approval: { digest: string } }>);
    const res = await fetch(`${server.url}/v1/approvals/${encodeURIComponent(id)}/decision`, {
      method: "POST",
      headers: { authorization: `Bearer ${approverToken}`, "content-type": "application/json" },
      body: JSON.stringify({ decision: "deny", reason: "test over", digest: detail.approval.digest }),
    });
    expect(res.status).toBe(200);
    await expect(running).rejects.toMatchObject({ code: "APPROVAL_DENIED" });
  });

  it("a webhook's action link preselects the action after login; the approver still confirms", async () => {
    const running = askRefund({ order: "A-1004", amount: 5 });
    const id = await pendingApprovalId();
    const url = warden.approvals.links.url(server.url, {
      approvalId: id,
      action: "deny",
      expiresAt: new Date(Date.now() + 600_000),
    });
    const { context, page } = await newPage();
    await page.goto(url);
    await page.waitForURL(/\/login\?next=/);
    await page.fill('input[name="token"]', approverToken);
    await page.click('button[type="submit"]');
    await page.getByRole("button", { name: "Deny", pressed: true }).waitFor();
    // The single-use link leaves the address bar once used.
    expect(new URL(page.url()).search).toBe("");
    await page.fill('textarea[name="reason"]', "not from a link preview");
    await page.getByRole("button", { name: "Confirm deny" }).click();
    await expect(running).rejects.toMatchObject({ code: "APPROVAL_DENIED" });

    // The same link again is refused, and says so.
    await page.goto(url);
    await page.getByText(/LINK_USED/).waitFor();
    await context.close();
  });

  it("shows an argument's invisible and direction-changing characters as code points, in stored order", async () => {
    const { context, page } = await signIn(approverToken);
    // U+202E turns the rest of a value around, U+200B hides in it, a Hebrew letter swaps the digit
    // groups after it: each makes a shown value read as another than the one approved.
    const refund = session.guard("refund", async (a: Record<string, unknown>) => ({ refunded: a.amount }));
    const running = refund.with({ rationale: "refund to the \u202Eusual\u202C account" })({
      order: "A-1005",
      amount: 7,
      to: "bob@example.com\u202Emoc.live",
      memo: "pay\u200Bpal",
      iban: "\u05D0 1234 5678",
      site: "p\u0430ypal.com",
      city: "\u041C\u043E\u0441\u043A\u0432\u0430",
    });
    running.catch(() => undefined);
    const id = await openPendingApproval(page);
    const args = page.locator("pre.json").first();
    await args.getByText("U+202E").waitFor();
    const shown = (await args.textContent()) ?? "";
    expect(shown).toContain('"bob@example.comU+202Emoc.live"');
    expect(shown).toContain('"payU+200Bpal"');
    expect(shown).not.toMatch(/[\u202E\u200B]/);
    // A Cyrillic letter in a Latin word is marked; a word all in Cyrillic is not.
    const marked = args.locator(".lookalike");
    expect(await marked.allTextContents()).toEqual(["\u0430"]);
    expect(await marked.first().getAttribute("title")).toContain("Cyrillic letter in a Latin word");
    const rationale = page.locator("dd", { hasText: "refund to the" });
    expect(await rationale.textContent()).toBe("refund to the U+202EusualU+202C account");
    // Laid out in stored order: "1234" stands left of "5678", as the bytes the digest covers have it.
    const order = (await page.evaluate(`(() => {
      const walker = document.createTreeWalker(document.querySelector("pre.json"), NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const at = n.textContent.indexOf("1234 5678");
        if (at === -1) continue;
        const left = (from) => {
          const range = document.createRange();
          range.setStart(n, from);
          range.setEnd(n, from + 4);
          return range.getBoundingClientRect().left;
        };
        return { first: left(at), second: left(at + 5) };
      }
      return null;
    })()`)) as { first: number; second: number } | null;
    expect(order).not.toBeNull();
    expect(order!.first).toBeLessThan(order!.second);
    await page.screenshot({ path: join(SHOTS, "approval-hidden-characters.png"), fullPage: true });

    await page.getByRole("button", { name: "Deny", exact: true }).click();
    await page.fill('textarea[name="reason"]', "the recipient reads as two addresses");
    await page.getByRole("button", { name: "Confirm deny" }).click();
    await expect(running).rejects.toMatchObject({ code: "APPROVAL_DENIED" });
    expect(id).toMatch(/^apr_/);
    await context.close();
  });

  // Last of the asks: the session's later refunds are let through from here on.
  it("shows hidden characters in the user a caller named, in the feed and the call's chain", async () => {
    const { context, page } = await signIn(auditorToken);
    // U+200B passes the session checks (it is no control or bidirectional override) and hides in a name.
    const other = await warden.session({
      agent: "support-bot",
      onBehalfOf: "alice\u200B@example.com",
      intent: "x",
    });
    await other.check("read_ticket", { id: 1, note: "" }, { callId: "call_hidden_user" });
    await page.getByRole("link", { name: "Live feed" }).click();
    const row = page.getByTestId("feed").locator("tr", { hasText: "aliceU+200B@example.com" });
    await row.waitFor();
    expect(await row.textContent()).not.toContain("\u200B");
    await page.goto(`${server.url}/calls/call_hidden_user`);
    await page.getByTestId("chain").getByText("aliceU+200B@example.com").waitFor();
    await other.end();
    await context.close();
  });

  it("a decision that remembers its approval says what it covers", async () => {
    const { context, page } = await signIn(approverToken);
    const running = askRefund({ order: "A-1003", amount: 12 });
    await openPendingApproval(page);
    await page.getByRole("button", { name: "Approve", exact: true }).click();
    await page.getByLabel("Remember").selectOption("session");
    await page.getByRole("button", { name: "Confirm approve" }).click();
    await expect(running).resolves.toEqual({ refunded: 12 });
    await page.locator("ul.decisions").getByText("remembered for the rest of this session").waitFor();
    await context.close();
  });

  it("never ran agent-supplied script", () => {
    expect(dialogs).toEqual([]);
  });
});
