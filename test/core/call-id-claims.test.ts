// A caller-chosen call id names one call, also across processes on one ledger: two Wardens on one SQLite
// file deciding the same id at the same moment record one intent and refuse the other (CALL_ID_CONFLICT).
import { describe, expect, it } from "vitest";
import { Warden } from "../../src/index.js";
import { onCleanup, openWarden } from "../helpers.js";

const POLICY = { default: "allow" as const };
const IDENTITY = { agent: "job-bot", onBehalfOf: "ci@example.com", intent: "jobs" };

describe("a caller-chosen call id across processes", () => {
  it("is recorded once when two Wardens on one file decide it at once", async () => {
    const { warden: a, db } = await openWarden(POLICY);
    const b = await Warden.open({ policy: POLICY, db });
    onCleanup(() => b.close());
    const [onA, onB] = await Promise.all([a.session(IDENTITY), b.session(IDENTITY)]);
    for (let i = 0; i < 20; i++) {
      const callId = `job-${i}`;
      const results = await Promise.allSettled([
        onA.check("run_job", { i }, { callId }),
        onB.check("run_job", { i }, { callId }),
      ]);
      const refused = results.filter((r) => r.status === "rejected");
      expect(refused).toHaveLength(1);
      expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: "CALL_ID_CONFLICT" });
      const intents = await a.ledger.store.query({ callId, kinds: ["call.intent"] });
      expect(intents).toHaveLength(1);
    }
  });

  it("is refused after a restart too, and a fresh id still works", async () => {
    const { warden, db } = await openWarden(POLICY);
    const session = await warden.session(IDENTITY);
    await session.check("run_job", {}, { callId: "job-a" });
    await warden.close();
    const again = await Warden.open({ policy: POLICY, db });
    onCleanup(() => again.close());
    const resumed = await again.session(IDENTITY);
    await expect(resumed.check("run_job", {}, { callId: "job-a" })).rejects.toMatchObject({
      code: "CALL_ID_CONFLICT",
    });
    expect((await resumed.check("run_job", {}, { callId: "job-b" })).enforced).toBe("allow");
  });
});
