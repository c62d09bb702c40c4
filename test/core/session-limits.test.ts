// Sessions end at their deadline or after sitting idle (policy `sessions:`), and their secrets go with them.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { openWarden } from "../helpers.js";

const policy = (sessions: Record<string, string>) => ({
  default: "allow",
  sessions,
  secrets: {
    items: { token: { provider: "env", variable: "T", tools: ["lookup"], inject: { context: "token" } } },
  },
});

/** Moves the wall clock on without waiting; timers and I/O stay real, so the store and ledger run as usual. */
const pass = (ms: number) => vi.setSystemTime(Date.now() + ms);

describe("session lifetime limits", () => {
  // Faked before the Warden opens: the session registry takes `Date.now` as its clock when it is built.
  beforeEach(() => vi.useFakeTimers({ toFake: ["Date"] }));
  afterEach(() => vi.useRealTimers());

  it("ends a session idle past idleTimeout and revokes its leases, without waiting for a call", async () => {
    const { warden } = await openWarden(policy({ idleTimeout: "1s" }), { env: { T: "value-of-the-token" } });
    const session = await warden.session({ agent: "a", onBehalfOf: "u", intent: "i" });
    const lookup = session.guardWithContext("lookup", async (_a: object, ctx) => ctx.secrets.token);
    await expect(lookup({})).resolves.toBe("[secret:token]");
    pass(1_100);
    await warden.sessions.sweep();
    expect(await warden.sessions.get(session.id)).toMatchObject({ endReason: "idle" });
    await vi.waitFor(async () => {
      expect(await warden.ledger.store.query({ kinds: ["secret.revoke"] })).toHaveLength(1);
    });
    await expect(lookup({})).rejects.toMatchObject({ code: "SESSION_ENDED" });
  });

  it("refuses calls after maxDuration and records the deadline as the end", async () => {
    const { warden } = await openWarden(policy({ maxDuration: "1s" }), { env: { T: "value-of-the-token" } });
    const session = await warden.session({ agent: "a", onBehalfOf: "u", intent: "i" });
    await expect(session.check("read", {})).resolves.toMatchObject({ enforced: "allow" });
    pass(1_100);
    await expect(session.check("read", {})).rejects.toMatchObject({ code: "SESSION_ENDED" });
    const [end] = await warden.ledger.store.query({ kinds: ["session.end"] });
    expect(end!.data).toEqual({ reason: "deadline" });
  });
});
