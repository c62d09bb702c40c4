// Sessions stay bounded in a long-running service: a default idle timeout (null disables it) and a bounded cache.
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SessionRegistry } from "../../src/identity/index.js";
import { Ledger, MemoryStore } from "../../src/ledger/index.js";
import { parsePolicy } from "../../src/policy/index.js";
import { onCleanup } from "../helpers.js";

const MINUTE = 60_000;

/** A registry on a real ledger whose clock and the registry's are one fake clock. */
async function registry(policyText: string, maxCached?: number) {
  const clock = { now: Date.parse("2026-01-01T00:00:00Z") };
  const store = new MemoryStore();
  const ledger = await Ledger.open({
    store,
    signingKey: generateKeyPairSync("ed25519").privateKey,
    clock: () => new Date(clock.now),
    checkpointSeconds: 0,
  });
  onCleanup(() => ledger.close());
  const policy = parsePolicy(policyText, "policy.yaml");
  const sessions = new SessionRegistry({
    append: (input) => ledger.append(input),
    lookup: (id) => store.session(id),
    policy: () => policy,
    checkpoint: async () => undefined,
    lastRecordAt: async (id) =>
      (await store.query({ session: id, newestFirst: true, limit: 1 }))[0]?.ts ?? null,
    maxCached,
    now: () => clock.now,
  });
  return { clock, ledger, sessions };
}

const open = (sessions: SessionRegistry, n = 0) =>
  sessions.open({ agent: "a", onBehalfOf: "u", intent: `task ${n}` });

describe("session idle timeout and cache", () => {
  it("ends a session idle for an hour when the policy sets no idleTimeout", async () => {
    const { clock, sessions } = await registry("default: allow\n");
    const s = await open(sessions);
    clock.now += 59 * MINUTE;
    await sessions.sweep();
    expect((await sessions.get(s.id)).endedAt).toBeNull();
    clock.now += 2 * MINUTE;
    await sessions.sweep();
    expect(await sessions.get(s.id)).toMatchObject({ endReason: "idle" });
  });

  it("idleTimeout: null keeps idle sessions open", async () => {
    const { clock, sessions } = await registry("default: allow\nsessions: { idleTimeout: null }\n");
    const s = await open(sessions);
    clock.now += 48 * 60 * MINUTE;
    await sessions.sweep();
    await expect(sessions.active(s.id)).resolves.toMatchObject({ id: s.id, endedAt: null });
  });

  it("a session busy elsewhere (its records in the ledger) is not ended as idle here", async () => {
    const { clock, ledger, sessions } = await registry("default: allow\n");
    const s = await open(sessions);
    clock.now += 50 * MINUTE;
    // Another instance's call in this session: this registry never saw it act.
    await ledger.append({
      kind: "call.intent",
      session: s.id,
      agent: "a",
      callId: "c1",
      data: { tool: "t", args: {}, decision: { effect: "allow" } },
    });
    clock.now += 20 * MINUTE;
    await sessions.sweep();
    await expect(sessions.active(s.id)).resolves.toMatchObject({ endedAt: null });
    clock.now += 61 * MINUTE;
    await expect(sessions.active(s.id)).rejects.toMatchObject({ code: "SESSION_ENDED" });
  });

  it("a call running (or waiting for people) longer than the idle timeout keeps its session open", async () => {
    const { clock, sessions } = await registry("default: allow\n");
    const s = await open(sessions);
    const release = sessions.hold(s.id);
    clock.now += 3 * 60 * MINUTE;
    await sessions.sweep();
    expect((await sessions.get(s.id)).endedAt).toBeNull();
    // Idle time counts from when the call finished.
    release();
    clock.now += 59 * MINUTE;
    await sessions.sweep();
    expect((await sessions.get(s.id)).endedAt).toBeNull();
    clock.now += 2 * MINUTE;
    await sessions.sweep();
    expect(await sessions.get(s.id)).toMatchObject({ endReason: "idle" });
  });

  it("keeps at most maxCached sessions in memory; a dropped one is read back and still works", async () => {
    const { clock, sessions } = await registry("default: allow\n", 3);
    const ids = [];
    for (let i = 0; i < 10; i++) ids.push((await open(sessions, i)).id);
    expect(sessions.cached).toBe(3);
    clock.now += 30 * MINUTE;
    // The first one was dropped long ago; it is read back from the store, not ended for idleness.
    await expect(sessions.active(ids[0]!)).resolves.toMatchObject({ id: ids[0], intent: "task 0" });
    expect(sessions.cached).toBe(3);
    clock.now += 61 * MINUTE;
    await expect(sessions.active(ids[1]!)).rejects.toMatchObject({ code: "SESSION_ENDED" });
  });
});
