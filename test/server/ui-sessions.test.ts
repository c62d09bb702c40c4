// Dashboard sessions: idle expiry, activity, CSRF comparison, and who may open one.
import { describe, expect, it } from "vitest";
import { createToken } from "../../src/server/index.js";
import { TokenCache } from "../../src/server/tokens.js";
import { csrfMatches, UI_IDLE_MS, UI_MAX_AGE_MS, UiSessions } from "../../src/server/ui-sessions.js";
import { openWarden } from "../helpers.js";

async function setup() {
  const { warden } = await openWarden({ allowed_tools: ["x"] });
  const store = warden.ledger.store;
  let now = Date.now();
  const ui = new UiSessions(new TokenCache(store), () => now);
  const auditor = await createToken(store, { role: "auditor", name: "audrey@example.com" });
  return { ui, store, auditor, advance: (ms: number) => (now += ms) };
}

describe("UiSessions", () => {
  it("ends a session after 12 hours without a request, and each request restarts the clock", async () => {
    const { ui, auditor, advance } = await setup();
    const { id } = await ui.login(auditor.token);
    advance(UI_IDLE_MS - 1_000);
    expect(await ui.resolve(id)).not.toBeNull();
    advance(UI_IDLE_MS - 1_000);
    expect(await ui.resolve(id)).not.toBeNull();
    advance(UI_IDLE_MS + 1);
    expect(await ui.resolve(id)).toBeNull();
    expect(ui.size).toBe(0);
  });

  it("ends a session 24 hours after its login, however often it is used", async () => {
    const { ui, auditor, advance } = await setup();
    const { id } = await ui.login(auditor.token);
    for (let used = 0; used < UI_MAX_AGE_MS - 60 * 60_000; used += 60 * 60_000) {
      expect(await ui.resolve(id)).not.toBeNull();
      advance(60 * 60_000);
    }
    expect(await ui.resolve(id)).not.toBeNull();
    advance(60 * 60_000);
    expect(await ui.resolve(id)).toBeNull();
    expect(ui.size).toBe(0);
    // Logging in again opens a new one.
    expect(await ui.resolve((await ui.login(auditor.token)).id)).not.toBeNull();
  });

  it("does not count a check without touch as activity (an open live stream)", async () => {
    const { ui, auditor, advance } = await setup();
    const { id } = await ui.login(auditor.token);
    advance(UI_IDLE_MS - 1_000);
    expect(await ui.resolve(id, { touch: false })).not.toBeNull();
    advance(2_000);
    expect(await ui.resolve(id, { touch: false })).toBeNull();
  });

  it("keeps at most 20 dashboard sessions per token, so one token cannot log everyone else out", async () => {
    const { ui, store, auditor } = await setup();
    const other = await createToken(store, { role: "approver", name: "ann@example.com" });
    const theirs = await ui.login(other.token);
    const first = await ui.login(auditor.token);
    for (let i = 0; i < 25; i++) await ui.login(auditor.token);
    expect(await ui.resolve(first.id)).toBeNull();
    expect(await ui.resolve(theirs.id)).not.toBeNull();
    expect(ui.size).toBe(21);
  });

  it("refuses agent tokens, unknown tokens, and gives every login its own id and CSRF token", async () => {
    const { ui, store, auditor } = await setup();
    const agent = await createToken(store, { role: "agent", agent: "bot" });
    await expect(ui.login(agent.token)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(ui.login(`wdn_${"a".repeat(43)}`)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    const a = await ui.login(auditor.token);
    const b = await ui.login(auditor.token);
    expect(a.id).not.toBe(b.id);
    expect(a.csrf).not.toBe(b.csrf);
    ui.end(a.id);
    expect(await ui.resolve(a.id)).toBeNull();
    expect(await ui.resolve(b.id)).not.toBeNull();
  });
});

describe("csrfMatches", () => {
  it("accepts only the exact token", () => {
    expect(csrfMatches("abc", "abc")).toBe(true);
    expect(csrfMatches("abd", "abc")).toBe(false);
    expect(csrfMatches("ab", "abc")).toBe(false);
    expect(csrfMatches("", "abc")).toBe(false);
    expect(csrfMatches(undefined, "abc")).toBe(false);
  });
});
