// runChecked runs a decision check() took earlier: once, and with the arguments it was decided on. A
// decision handed in twice, after its outcome was reported, or with other arguments runs nothing.
import { describe, expect, it } from "vitest";
import type { Session, Warden } from "../../src/index.js";
import { openWarden } from "../helpers.js";

const IDENTITY = { agent: "report-bot", onBehalfOf: "alice@example.com", intent: "q3 report" };

function counter() {
  let runs = 0;
  return {
    body: () => {
      runs++;
      return `run ${runs}`;
    },
    get runs() {
      return runs;
    },
  };
}

async function outcomes(warden: Warden, callId: string) {
  return warden.ledger.store.query({ callId, kinds: ["call.outcome"] });
}

async function askedCall(warden: Warden, session: Session, args: unknown) {
  const decision = await session.check("lookup", args);
  if (decision.enforced !== "ask") throw new Error(`expected ask, got ${decision.enforced}`);
  return {
    decision,
    approve: () =>
      warden.approvals.queue.decide(decision.approval.id, {
        decision: "approve",
        approver: { name: "bob@example.com", role: "approver", via: "cli" },
        reason: null,
        remember: null,
        digest: decision.approval.digest,
      }),
  };
}

/** A Warden that asks people for every `lookup`, and one such call decided with `{ q: 1 }`. */
async function askedLookup() {
  const { warden } = await openWarden({
    default: "allow" as const,
    rules: [{ id: "ask", tools: ["lookup"], decision: "ask" as const }],
  });
  const session = await warden.session(IDENTITY);
  return { warden, session, ...(await askedCall(warden, session, { q: 1 })) };
}

describe("runChecked", () => {
  it("runs an allowed decision with its decided arguments, once", async () => {
    const { warden } = await openWarden({ default: "allow" as const });
    const session = await warden.session(IDENTITY);
    const decision = await session.check("lookup", { q: 1 });
    const tool = counter();

    await expect(session.runChecked(decision, { q: 2 }, tool.body)).rejects.toMatchObject({
      code: "APPROVAL_MISMATCH",
    });
    await expect(session.runChecked(decision, () => 1, tool.body)).rejects.toMatchObject({
      code: "APPROVAL_MISMATCH",
    });
    expect(tool.runs).toBe(0);

    const [first, second] = await Promise.allSettled([
      session.runChecked(decision, { q: 1 }, tool.body),
      session.runChecked(decision, { q: 1 }, tool.body),
    ]);
    expect(first).toEqual({ status: "fulfilled", value: "run 1" });
    expect(second).toMatchObject({ status: "rejected", reason: { code: "CALL_ID_CONFLICT" } });
    await expect(session.runChecked(decision, { q: 1 }, tool.body)).rejects.toMatchObject({
      code: "CALL_ID_CONFLICT",
    });
    expect(tool.runs).toBe(1);
    expect(await outcomes(warden, decision.callId)).toHaveLength(1);
  });

  it("does not run a decision whose outcome the caller reported", async () => {
    const { warden } = await openWarden({ default: "allow" as const });
    const session = await warden.session(IDENTITY);
    const decision = await session.check("lookup", { q: 1 });
    await session.recordOutcome(decision.callId, { status: "ok", result: 1 });
    const tool = counter();
    await expect(session.runChecked(decision, { q: 1 }, tool.body)).rejects.toMatchObject({
      code: "CALL_ID_CONFLICT",
    });
    expect(tool.runs).toBe(0);
    expect(await outcomes(warden, decision.callId)).toHaveLength(1);
  });

  it("runs an approved call once, however often its pending decision is handed in", async () => {
    const { warden, session, decision, approve } = await askedLookup();
    const tool = counter();

    const waiting = session.runChecked(decision, { q: 1 }, tool.body);
    await expect(session.runChecked(decision, { q: 1 }, tool.body)).rejects.toMatchObject({
      code: "CALL_ID_CONFLICT",
    });
    await approve();
    expect(await waiting).toBe("run 1");
    await expect(session.runChecked(decision, { q: 1 }, tool.body)).rejects.toMatchObject({
      code: "CALL_ID_CONFLICT",
    });
    expect(tool.runs).toBe(1);
    expect(await outcomes(warden, decision.callId)).toHaveLength(1);
  });

  it("refuses other arguments for an asked call at once, before anyone decides it", async () => {
    const { warden, session, decision, approve } = await askedLookup();
    const tool = counter();

    // Nobody has decided the approval: the refusal does not wait for them.
    await expect(session.runChecked(decision, { q: 2 }, tool.body)).rejects.toMatchObject({
      code: "APPROVAL_MISMATCH",
      message: expect.stringContaining("not the ones Warden decided"),
    });
    await expect(session.awaitApproval(decision, { args: { q: 2 } })).rejects.toMatchObject({
      code: "APPROVAL_MISMATCH",
    });
    expect(warden.approvals.queue.book.get(decision.approval!.id)?.status).toBe("pending");
    // The decided arguments still run once approved.
    const waiting = session.runChecked(decision, { q: 1 }, tool.body);
    await approve();
    expect(await waiting).toBe("run 1");
    expect(tool.runs).toBe(1);
  });
});

describe("runChecked without arguments", () => {
  it("runs them as check() decided them: absent arguments are {} on both sides, and bind a pending approval", async () => {
    const { warden } = await openWarden({
      default: "allow" as const,
      rules: [{ id: "ask", tools: ["lookup"], decision: "ask" as const }],
    });
    const session = await warden.session(IDENTITY);
    const tool = counter();

    const allowed = await session.check("search", undefined);
    expect(await session.runChecked(allowed, undefined, tool.body)).toBe("run 1");

    // Absent arguments are not a way around the approval's binding to the decided ones.
    const { decision } = await askedCall(warden, session, { q: 1 });
    await expect(session.runChecked(decision, undefined, tool.body)).rejects.toMatchObject({
      code: "APPROVAL_MISMATCH",
    });
    expect(tool.runs).toBe(1);
    expect(await outcomes(warden, decision.callId)).toHaveLength(0);
  });
});
