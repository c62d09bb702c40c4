// What a caller sees when the ledger fails around a call: before it ran (nothing ran, nothing spent) and after.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OutcomeUnrecordedError, Warden } from "../../src/index.js";
import { MemoryStore } from "../../src/ledger/index.js";
import { onCleanup, tempDir } from "../helpers.js";

async function open(policy: Record<string, unknown>) {
  const store = new MemoryStore();
  const warden = await Warden.open({ policy, db: store });
  onCleanup(() => warden.close());
  const session = await warden.session({ agent: "mailer", onBehalfOf: "ana@example.com", intent: "mail" });
  return { store, warden, session };
}

describe("ledger failures around a call", () => {
  it("a tool that ran but whose outcome cannot be recorded fails with OUTCOME_UNRECORDED, carrying its result", async () => {
    const { store, session } = await open({ default: "allow" });
    let runs = 0;
    const send = session.guard("send_email", async (a: { to: string }) => {
      runs++;
      store.failNext(1); // the outcome record cannot be written
      return `sent to ${a.to}`;
    });
    const err = await send({ to: "bob@example.com" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutcomeUnrecordedError);
    expect(err).toMatchObject({ code: "OUTCOME_UNRECORDED", result: "sent to bob@example.com" });
    expect(runs).toBe(1);
  });

  it("a call refused because its intent could not be recorded takes no rate-limit token", async () => {
    const { store, session } = await open({
      default: "allow",
      limits: [{ id: "mail-per-hour", key: "user", tools: ["send_email"], calls: 2, per: "1h" }],
    });
    const send = session.guard("send_email", async () => "sent");
    for (let i = 0; i < 5; i++) {
      store.failNext(1);
      await expect(send()).rejects.toMatchObject({ code: "LEDGER_UNAVAILABLE" });
    }
    // The limit still has both its calls: the five refusals recorded nothing and spent nothing.
    await expect(send()).resolves.toBe("sent");
    await expect(send()).resolves.toBe("sent");
    await expect(send()).rejects.toMatchObject({ code: "RATE_LIMITED" });
  });

  it("an ask whose intent could not be recorded does not count against approvals.maxPendingPerSession", async () => {
    const { store, session } = await open({
      default: "allow",
      rules: [{ id: "mail-asks", tool: "send_email", decision: "ask" }],
      approvals: { maxPendingPerSession: 1 },
    });
    for (let i = 0; i < 3; i++) {
      store.failNext(1);
      await expect(session.check("send_email", { to: `u${i}@example.com` })).rejects.toMatchObject({
        code: "LEDGER_UNAVAILABLE",
      });
    }
    expect((await session.check("send_email", { to: "bob@example.com" })).enforced).toBe("ask");
    expect((await session.check("send_email", { to: "eve@example.com" })).code).toBe(
      "APPROVALS_PENDING_LIMIT",
    );
  });
});

describe("Warden.open that fails part way", () => {
  it("unwinds what it started and records no policy load", async () => {
    const dir = tempDir();
    const db = join(dir, "ledger.db");
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    const policy = {
      default: "allow",
      approvals: { timeout: "5m" },
      export: {
        sinks: [
          { name: "hooks", type: "webhook", url: "http://127.0.0.1:1/", secretEnv: "UNSET_HOOK_SECRET" },
        ],
      },
    };
    const err = await Warden.open({ policy, db, export: { env: {} } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "EXPORT_CONFIG_INVALID" });
    // No poll, sweep or recovery timer was left running against a closed ledger.
    expect(timers()).toBeLessThanOrEqual(before);
    // The start that failed left no policy.load record behind.
    const warden = await Warden.open({ policy: { default: "allow" }, db });
    onCleanup(() => warden.close());
    const loads = await warden.ledger.store.query({ kinds: ["policy.load"] });
    expect(loads).toHaveLength(1);
  });
});
