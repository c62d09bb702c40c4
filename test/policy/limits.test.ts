import { describe, expect, it } from "vitest";
import { SharedRateLimiter } from "../../src/core/shared-limiter.js";
import { type LimitSpec, parsePolicy, RateLimiter } from "../../src/policy/index.js";
import { pgAvailable, pgStore } from "../ledger/pg.js";

function spec(over: Partial<LimitSpec> = {}): LimitSpec {
  return {
    id: "l",
    key: "agent",
    tools: null,
    agents: null,
    calls: 2,
    everyMs: 1000,
    burst: 2,
    reason: "r",
    ...over,
  };
}
const ctx = (over: Partial<{ tool: string; agent: string; session: string; user: string }> = {}) => ({
  tool: "t",
  agent: "a",
  session: "s",
  user: "u",
  ...over,
});

function fakeClock(start = 1_000_000) {
  let now = start;
  return { clock: () => now, advance: (ms: number) => (now += ms) };
}

describe("RateLimiter", () => {
  it("allows burst calls, then refuses with a retry-after, then refills", () => {
    const t = fakeClock();
    const limiter = new RateLimiter([spec()], t.clock);
    expect(limiter.take(ctx())).toEqual({ ok: true });
    expect(limiter.take(ctx())).toEqual({ ok: true });
    const refused = limiter.take(ctx());
    expect(refused).toMatchObject({ ok: false, limit: { id: "l" }, retryAfterMs: 500 });
    t.advance(499);
    expect(limiter.take(ctx()).ok).toBe(false);
    t.advance(1);
    expect(limiter.take(ctx()).ok).toBe(true);
    expect(limiter.take(ctx()).ok).toBe(false);
    t.advance(10_000);
    // refills to burst, never beyond
    expect(limiter.take(ctx()).ok).toBe(true);
    expect(limiter.take(ctx()).ok).toBe(true);
    expect(limiter.take(ctx()).ok).toBe(false);
  });

  it("keeps one bucket per value of the key", () => {
    const limiter = new RateLimiter([spec({ calls: 1, burst: 1, key: "session" })], fakeClock().clock);
    expect(limiter.take(ctx({ session: "s1" })).ok).toBe(true);
    expect(limiter.take(ctx({ session: "s1", agent: "other" })).ok).toBe(false);
    expect(limiter.take(ctx({ session: "s2" })).ok).toBe(true);
    for (const key of ["agent", "tool", "user"] as const) {
      const l = new RateLimiter([spec({ calls: 1, burst: 1, key })], fakeClock().clock);
      expect(l.take(ctx({ [key]: "x" })).ok).toBe(true);
      expect(l.take(ctx({ [key]: "x" })).ok).toBe(false);
      expect(l.take(ctx({ [key]: "y" })).ok).toBe(true);
    }
  });

  it("counts a user by one spelling: case, spaces and compatibility forms share the user's bucket", async () => {
    const spellings = [
      "alice@example.com",
      "Alice@Example.COM",
      "  alice@example.com\t",
      "ａｌｉｃｅ@example.com",
    ];
    const limiter = new RateLimiter([spec({ key: "user", calls: 4, burst: 4 })], fakeClock().clock);
    for (const user of spellings) expect(limiter.take(ctx({ user })).ok).toBe(true);
    expect(limiter.take(ctx({ user: "ALICE@example.com" })).ok).toBe(false);
    expect(limiter.take(ctx({ user: "bob@example.com" })).ok).toBe(true);
    limiter.refund(ctx({ user: " Alice@example.com" }));
    expect(limiter.take(ctx({ user: "alice@example.com" })).ok).toBe(true);
    if (!pgAvailable) return;
    // The same across instances: the shared buckets are keyed by the same spelling (4 an hour: no refill meanwhile).
    const store = await pgStore();
    const shared = new SharedRateLimiter(store.buckets!, [
      spec({ key: "user", calls: 4, burst: 4, everyMs: 3_600_000 }),
    ]);
    for (const user of spellings) expect((await shared.take(ctx({ user }))).ok).toBe(true);
    expect((await shared.take(ctx({ user: "ALICE@example.com" }))).ok).toBe(false);
  });

  it("counts only calls whose tool and agent match the limit's globs", () => {
    const limiter = new RateLimiter(
      [spec({ calls: 1, burst: 1, tools: ["github__*"], agents: ["research-*"] })],
      fakeClock().clock,
    );
    expect(limiter.take(ctx({ tool: "github__x", agent: "research-bot" })).ok).toBe(true);
    expect(limiter.take(ctx({ tool: "github__y", agent: "research-bot" })).ok).toBe(false);
    expect(limiter.take(ctx({ tool: "read", agent: "research-bot" })).ok).toBe(true);
    expect(limiter.take(ctx({ tool: "github__x", agent: "support-bot" })).ok).toBe(true);
  });

  it("consumes nothing when one matching bucket is empty", () => {
    const t = fakeClock();
    const wide = spec({ id: "wide", calls: 10, burst: 10, everyMs: 60_000 });
    const narrow = spec({ id: "narrow", calls: 1, burst: 1, everyMs: 60_000, tools: ["mail"] });
    const limiter = new RateLimiter([wide, narrow], t.clock);
    expect(limiter.take(ctx({ tool: "mail" })).ok).toBe(true); // wide 9, narrow 0
    for (let i = 0; i < 5; i++) {
      expect(limiter.take(ctx({ tool: "mail" }))).toMatchObject({ ok: false, limit: { id: "narrow" } });
    }
    // the refused calls took nothing from `wide`: 9 tokens are left
    for (let i = 0; i < 9; i++) expect(limiter.take(ctx({ tool: "read" })).ok).toBe(true);
    expect(limiter.take(ctx({ tool: "read" }))).toMatchObject({ ok: false, limit: { id: "wide" } });
  });

  it("replaceLimits keeps buckets of unchanged limits and resets changed or removed ones", () => {
    const t = fakeClock();
    const a = spec({ id: "a", calls: 1, burst: 1, everyMs: 60_000 });
    const b = spec({ id: "b", calls: 1, burst: 1, everyMs: 60_000, key: "user" });
    const limiter = new RateLimiter([a, b], t.clock);
    expect(limiter.take(ctx()).ok).toBe(true);
    expect(limiter.take(ctx())).toMatchObject({ ok: false });

    // `a` unchanged (new object, same numbers): still empty; `b` changed: fresh bucket
    limiter.replaceLimits([
      { ...a, reason: "new text" },
      { ...b, calls: 2, burst: 2 },
    ]);
    expect(limiter.take(ctx())).toMatchObject({ ok: false, limit: { id: "a", reason: "new text" } });

    limiter.replaceLimits([{ ...b, calls: 2, burst: 2 }]);
    expect(limiter.take(ctx()).ok).toBe(true);
    expect(limiter.take(ctx()).ok).toBe(true);
    expect(limiter.take(ctx())).toMatchObject({ ok: false, limit: { id: "b" } });
  });

  it("drops full idle buckets so memory stays bounded", () => {
    const t = fakeClock();
    const limiter = new RateLimiter([spec({ key: "session", calls: 10, burst: 10, everyMs: 1000 })], t.clock);
    for (let i = 0; i < 500; i++) limiter.take(ctx({ session: `s${i}` }));
    expect(limiter.size).toBe(500);
    t.advance(120_000);
    limiter.take(ctx({ session: "fresh" }));
    expect(limiter.size).toBe(1);
  });

  it("does not mint tokens when the clock steps back", () => {
    const t = fakeClock();
    const limiter = new RateLimiter([spec({ calls: 1, burst: 1 })], t.clock);
    expect(limiter.take(ctx()).ok).toBe(true);
    t.advance(-5000);
    expect(limiter.take(ctx()).ok).toBe(false);
  });

  it("takes its limits from a policy: burst defaults to calls", () => {
    const policy = parsePolicy(
      "limits:\n  - {id: agent-rate, key: agent, calls: 30, per: 1m}\n  - {id: b, key: tool, tools: [x], calls: 5, per: 500ms, burst: 1, reason: slow down}\n",
      "p.yaml",
    );
    expect(policy.limits).toEqual([
      expect.objectContaining({
        id: "agent-rate",
        calls: 30,
        everyMs: 60_000,
        burst: 30,
        tools: null,
        agents: null,
      }),
      {
        id: "b",
        key: "tool",
        tools: ["x"],
        agents: null,
        calls: 5,
        everyMs: 500,
        burst: 1,
        reason: "slow down",
      },
    ]);
    const t = fakeClock();
    const limiter = new RateLimiter(policy.limits, t.clock);
    for (let i = 0; i < 30; i++) expect(limiter.take(ctx()).ok).toBe(true);
    expect(limiter.take(ctx())).toMatchObject({ ok: false, limit: { id: "agent-rate" }, retryAfterMs: 2000 });
  });
});
