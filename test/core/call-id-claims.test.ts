// A caller-chosen call id names one call, also across processes on one ledger: two Wardens on one SQLite
// file deciding the same id at the same moment record one intent and refuse the other (CALL_ID_CONFLICT);
// two reports of one call's outcome sent to both at once record one outcome.
import { describe, expect, it } from "vitest";
import { Warden } from "../../src/index.js";
import { onCleanup, openWarden } from "../helpers.js";

const POLICY = { default: "allow" as const };
const IDENTITY = { agent: "job-bot", onBehalfOf: "ci@example.com", intent: "jobs" };

/** Two Wardens on one SQLite file, a session on each. */
async function twoWardens() {
  const { warden: a, db } = await openWarden(POLICY);
  const b = await Warden.open({ policy: POLICY, db });
  onCleanup(() => b.close());
  const [onA, onB] = await Promise.all([a.session(IDENTITY), b.session(IDENTITY)]);
  return { a, onA, onB };
}

/** Of two attempts at once, one went through and the other got CALL_ID_CONFLICT. */
async function oneWins(attempts: Promise<unknown>[]): Promise<void> {
  const refused = (await Promise.allSettled(attempts)).filter((r) => r.status === "rejected");
  expect(refused).toHaveLength(1);
  expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: "CALL_ID_CONFLICT" });
}

describe("a caller-chosen call id across processes", () => {
  it("is recorded once when two Wardens on one file decide it at once", async () => {
    const { a, onA, onB } = await twoWardens();
    for (let i = 0; i < 20; i++) {
      const callId = `job-${i}`;
      await oneWins([onA.check("run_job", { i }, { callId }), onB.check("run_job", { i }, { callId })]);
      expect(await a.ledger.store.query({ callId, kinds: ["call.intent"] })).toHaveLength(1);
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

  it("records one outcome when two Wardens on one file take a report of the same call at once", async () => {
    const { a, onA, onB } = await twoWardens();
    for (let i = 0; i < 20; i++) {
      const { callId } = await onA.check("run_job", { i });
      const outcome = { status: "ok" as const, result: { i }, durationMs: 1 };
      await oneWins([onA.recordOutcome(callId, outcome), onB.recordOutcome(callId, outcome)]);
      expect(await a.ledger.store.query({ callId, kinds: ["call.outcome"] })).toHaveLength(1);
    }
  });

  it("takes a report again after its first try could not be recorded", async () => {
    const { warden: a, db } = await openWarden(POLICY);
    const session = await a.session(IDENTITY);
    const { callId } = await session.check("run_job", {});
    const claims = a.ledger.store.callIds;
    if (!claims) throw new Error("the SQLite store claims call ids");
    const append = a.ledger.append.bind(a.ledger);
    let failOnce = true;
    a.ledger.append = (input, options) => {
      if (failOnce && input.kind === "call.outcome") {
        failOnce = false;
        return Promise.reject(new Error("disk full"));
      }
      return append(input, options);
    };
    const outcome = { status: "ok" as const, result: "done", durationMs: 1 };
    await expect(session.recordOutcome(callId, outcome)).rejects.toThrow();
    await expect(session.recordOutcome(callId, outcome)).resolves.toMatchObject({ status: "ok" });
    const b = await Warden.open({ policy: POLICY, db });
    onCleanup(() => b.close());
    const other = await b.session(IDENTITY);
    await expect(other.recordOutcome(callId, outcome)).rejects.toMatchObject({ code: "CALL_ID_CONFLICT" });
  });
});
