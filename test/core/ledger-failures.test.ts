// What a caller sees when the ledger fails around a call: before it ran (nothing ran, nothing spent) and after.
import { describe, expect, it } from "vitest";
import { OutcomeUnrecordedError, Warden } from "../../src/index.js";
import { MemoryStore } from "../../src/ledger/index.js";
import { onCleanup } from "../helpers.js";

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
});
