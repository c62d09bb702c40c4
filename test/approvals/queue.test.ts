// The approval queue on a real SQLite ledger: binding to the exact call, single use, expiry, four eyes,
// who may decide, remembered approvals, and pending approvals that outlive a restart.
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { Approver } from "../../src/approvals/index.js";
import { type GateDecision, Warden } from "../../src/index.js";
import { onCleanup, openWarden } from "../helpers.js";

const ALICE: Approver = { name: "alice@sec.example.com", role: "approver", via: "api" };
const BOB: Approver = { name: "bob@sec.example.com", role: "approver", via: "api" };

const POLICY = {
  default: "allow" as const,
  rules: [
    { id: "mail-asks", tool: "send_email", decision: "ask" as const, reason: "mail leaves the company" },
    {
      id: "wire-four-eyes",
      tool: "wire_money",
      decision: "ask" as const,
      approval: { approvers: 2, by: ["*@sec.example.com"], remember: ["$.to"] },
    },
  ],
  approvals: { timeout: "2s" },
};

async function setup(policy: Record<string, unknown> = POLICY) {
  const opened = await openWarden(policy);
  const session = await opened.warden.session({
    agent: "bot",
    onBehalfOf: "carol@example.com",
    intent: "support",
  });
  return { ...opened, session };
}

/** Under fake timers: lets I/O and promises run (the clock stands still) until an approval is pending. */
async function waitForPending(warden: Warden) {
  for (let i = 0; i < 1000; i++) {
    const found = warden.approvals.queue.book.list((v) => v.status === "pending", 1);
    if (found.length > 0) return found;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error("no pending approval");
}

/** Waits until the queue holds a pending approval, and returns it. */
async function pending(warden: Warden, tool?: string) {
  for (let i = 0; i < 200; i++) {
    const [view] = warden.approvals.queue.book.list(
      (v) => v.status === "pending" && (tool === undefined || v.tool === tool),
      1,
    );
    if (view) return view;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error("no pending approval");
}

describe("the approval queue", () => {
  it("holds the call until approved, binds it to the digest, and records who approved", async () => {
    const { warden, session } = await setup();
    let sent = 0;
    const send = session.guard("send_email", async (a: { to: string }) => {
      sent++;
      return `sent to ${a.to}`;
    });
    const call = send({ to: "dave@example.com" });
    const view = await pending(warden);
    expect(view).toMatchObject({
      tool: "send_email",
      ruleId: "mail-asks",
      required: 1,
      onBehalfOf: "carol@example.com",
    });
    expect(view.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(sent).toBe(0);
    await expect(
      warden.approvals.queue.decide(view.id, {
        decision: "approve",
        approver: ALICE,
        digest: `sha256:${"0".repeat(64)}`,
      }),
    ).rejects.toMatchObject({ code: "APPROVAL_MISMATCH" });
    await warden.approvals.queue.decide(view.id, {
      decision: "approve",
      approver: ALICE,
      digest: view.digest,
    });
    await expect(call).resolves.toBe("sent to dave@example.com");
    expect(sent).toBe(1);
    // Single use: the decided approval takes no further decision, and the next identical call asks again.
    await expect(
      warden.approvals.queue.decide(view.id, { decision: "approve", approver: BOB }),
    ).rejects.toMatchObject({
      code: "APPROVAL_CLOSED",
    });
    const again = await session.check("send_email", { to: "dave@example.com" });
    expect(again).toMatchObject({ enforced: "ask", approval: { status: "pending" } });
    const records = await warden.ledger.store.query({ callId: view.callId });
    expect(records.map((r) => r.kind)).toEqual([
      "call.intent",
      "approval.request",
      "approval.decision",
      "call.outcome",
    ]);
    expect(records[2]!.data).toMatchObject({
      approver: ALICE.name,
      decision: "approve",
      digest: view.digest,
      via: "api",
    });
  });

  it("gives a denial's reason to the agent, and expires an unanswered call", async () => {
    const { warden, session } = await setup({ ...POLICY, approvals: { timeout: "1s" } });
    const send = session.guard("send_email", async (_a: { to: string }) => "sent");
    const denied = send({ to: "x@example.com" });
    const view = await pending(warden);
    await expect(
      warden.approvals.queue.decide(view.id, { decision: "deny", approver: ALICE }),
    ).rejects.toMatchObject({
      code: "INVALID_REQUEST",
    });
    await warden.approvals.queue.decide(view.id, {
      decision: "deny",
      approver: ALICE,
      reason: "not to outsiders",
    });
    await expect(denied).rejects.toMatchObject({
      code: "APPROVAL_DENIED",
      message: expect.stringContaining("not to outsiders"),
    });

    // The approval's deadline timer and clock are faked: its second passes at once. Only the clock moves,
    // so the call is pending right up to the deadline.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      const expired = send({ to: "y@example.com" });
      const outcome = expired.catch((err: unknown) => err);
      const [y] = await waitForPending(warden);
      expect(y!.tool).toBe("send_email");
      await vi.advanceTimersByTimeAsync(990);
      expect(warden.approvals.queue.book.get(y!.id)!.status).toBe("pending");
      await vi.advanceTimersByTimeAsync(20);
      await expect(outcome).resolves.toMatchObject({ code: "APPROVAL_EXPIRED" });
    } finally {
      vi.useRealTimers();
    }
    const [late] = warden.approvals.queue.book.list((v) => v.status === "expired", 1);
    await expect(
      warden.approvals.queue.decide(late!.id, { decision: "approve", approver: ALICE }),
    ).rejects.toMatchObject({
      code: "APPROVAL_EXPIRED",
    });
    const expiry = await warden.ledger.store.query({ callId: late!.callId, kinds: ["approval.decision"] });
    expect(expiry.map((r) => r.data.decision)).toEqual(["expire"]);
  });

  it("needs two different named approvers for four eyes, and never agents, auditors or the user", async () => {
    const { warden, session } = await setup();
    const wire = session.guard("wire_money", async (a: { to: string; amount: number }) => a.amount);
    const call = wire({ to: "acme", amount: 5 });
    const view = await pending(warden);
    const q = warden.approvals.queue;
    for (const approver of [
      { name: "bot", role: "agent", via: "api" },
      { name: "eve@sec.example.com", role: "auditor", via: "dashboard" },
      { name: "mallory@other.example.com", role: "approver", via: "api" },
    ] as Approver[]) {
      await expect(q.decide(view.id, { decision: "approve", approver })).rejects.toMatchObject({
        code: "FORBIDDEN",
      });
    }
    await q.decide(view.id, { decision: "approve", approver: ALICE });
    await expect(q.decide(view.id, { decision: "approve", approver: ALICE })).rejects.toMatchObject({
      code: "APPROVAL_CLOSED",
    });
    expect(q.book.get(view.id)!.status).toBe("pending");
    await q.decide(view.id, { decision: "approve", approver: BOB });
    await expect(call).resolves.toBe(5);

    const self = await setup({
      ...POLICY,
      rules: [{ id: "r", tool: "t", decision: "ask", approval: { by: ["role:approver"] } }],
    });
    const selfCall = self.session.guard("t", async () => 1)();
    const selfView = await pending(self.warden);
    await expect(
      self.warden.approvals.queue.decide(selfView.id, {
        decision: "approve",
        approver: { name: "Carol@example.com", role: "approver", via: "api" },
      }),
    ).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("own agent") });
    await self.warden.approvals.queue.decide(selfView.id, {
      decision: "deny",
      approver: ALICE,
      reason: "no",
    });
    await expect(selfCall).rejects.toMatchObject({ code: "APPROVAL_DENIED" });
  });

  it("refuses a call whose arguments changed while it waited", async () => {
    const { warden, session } = await setup();
    let ran = false;
    const send = session.guard("send_email", async (_a: { to: string }) => {
      ran = true;
    });
    const args = { to: "dave@example.com" };
    const call = send(args);
    const view = await pending(warden);
    args.to = "attacker@evil.example";
    await warden.approvals.queue.decide(view.id, {
      decision: "approve",
      approver: ALICE,
      digest: view.digest,
    });
    await expect(call).rejects.toMatchObject({ code: "APPROVAL_MISMATCH" });
    expect(ran).toBe(false);
  });

  it("runs no call on another call's approval (a decision naming an approval it was not asked for)", async () => {
    const { warden, session } = await setup();
    const approved = await session.check("send_email", { to: "dave@example.com" });
    const other = await session.check("send_email", { to: "attacker@evil.example" });
    await warden.approvals.queue.decide(approved.approval!.id, { decision: "approve", approver: ALICE });
    let ran = 0;
    const forged = { ...other, approval: approved.approval } as GateDecision;
    await expect(
      session.runChecked(forged, { to: "dave@example.com" }, () => {
        ran++;
      }),
    ).rejects.toMatchObject({ code: "APPROVAL_MISMATCH" });
    await expect(session.awaitApproval(forged, { args: { to: "dave@example.com" } })).rejects.toMatchObject({
      code: "APPROVAL_MISMATCH",
    });
    expect(ran).toBe(0);
    // The approval still answers its own call, once.
    await session.runChecked(approved, { to: "dave@example.com" }, () => {
      ran++;
    });
    expect(ran).toBe(1);
    const outcomes = await warden.ledger.store.query({ kinds: ["call.outcome"] });
    expect(outcomes.map((o) => o.callId)).toEqual([approved.callId]);
  });

  it("remembers an approval for the session on the named fields only, and never a denial", async () => {
    const { warden, session } = await setup();
    const wire = session.guard("wire_money", async (a: { to: string; amount: number }) => a.amount);
    const first = wire({ to: "acme", amount: 5 });
    const view = await pending(warden);
    await warden.approvals.queue.decide(view.id, {
      decision: "approve",
      approver: ALICE,
      remember: "session",
    });
    await warden.approvals.queue.decide(view.id, { decision: "approve", approver: BOB, remember: 3_600_000 });
    await first;
    // Same `to`, another amount: remembered (the rule keys on $.to). Another `to`: asks again.
    await expect(session.check("wire_money", { to: "acme", amount: 7 })).resolves.toMatchObject({
      enforced: "allow",
      approval: { id: view.id, status: "remembered" },
    });
    await expect(session.check("wire_money", { to: "evil", amount: 7 })).resolves.toMatchObject({
      enforced: "ask",
    });
    const other = await warden.session({ agent: "bot", onBehalfOf: "carol@example.com", intent: "support" });
    await expect(other.check("wire_money", { to: "acme", amount: 7 })).resolves.toMatchObject({
      enforced: "ask",
    });

    const send = session.guard("send_email", async (_a: { to: string }) => "sent");
    const denied = send({ to: "z@example.com" });
    const mail = await pending(warden, "send_email");
    await warden.approvals.queue.decide(mail.id, {
      decision: "deny",
      approver: ALICE,
      reason: "no",
      remember: "session",
    });
    await expect(denied).rejects.toMatchObject({ code: "APPROVAL_DENIED" });
    await expect(session.check("send_email", { to: "z@example.com" })).resolves.toMatchObject({
      enforced: "ask",
    });
    const again = await session.check("send_email", { to: "z@example.com" });
    await expect(
      warden.approvals.queue.decide(again.approval!.id, {
        decision: "approve",
        approver: ALICE,
        remember: 1e12,
      }),
    ).rejects.toMatchObject({ code: "INVALID_REQUEST" });
  });

  it("takes no decision once the approval's session has ended, and an approved call of an ended session does not run", async () => {
    const { warden, session } = await setup({ ...POLICY, approvals: { timeout: "60s" } });
    const first = await session.check("send_email", { to: "dave@example.com" });
    const second = await session.check("send_email", { to: "erin@example.com" });
    await warden.approvals.queue.decide(second.approval!.id, { decision: "approve", approver: ALICE });
    await session.end();
    await expect(
      warden.approvals.queue.decide(first.approval!.id, { decision: "approve", approver: ALICE }),
    ).rejects.toMatchObject({ code: "APPROVAL_CLOSED" });
    await expect(warden.gate.callState(second.callId, 0)).rejects.toMatchObject({ code: "SESSION_ENDED" });
    await expect(
      warden.gate.reportOutcome(second.callId, { status: "ok" }, { from: "caller" }),
    ).rejects.toMatchObject({
      code: "SESSION_ENDED",
    });
  });

  it("keeps pending approvals across a restart, and another process's decision wakes the waiting call", async () => {
    const { warden, db, dir, session } = await setup({ ...POLICY, approvals: { timeout: "60s" } });
    const decided = await session.check("send_email", { to: "dave@example.com" });
    expect(decided.approval).toMatchObject({ status: "pending", required: 1 });
    await warden.close();

    const reopened = await Warden.open({ policy: { ...POLICY, approvals: { timeout: "60s" } }, db });
    onCleanup(() => reopened.close());
    const view = reopened.approvals.queue.book.get(decided.approval!.id)!;
    expect(view).toMatchObject({ status: "pending", callId: decided.callId });
    // A second process on the same file decides; the first learns it from the ledger.
    const other = await Warden.open({ policy: POLICY, db: join(dir, "ledger.db") });
    onCleanup(() => other.close());
    const waiting = reopened.gate.callState(decided.callId, 5_000);
    await other.approvals.queue.decide(view.id, { decision: "approve", approver: ALICE });
    await expect(waiting).resolves.toMatchObject({ decision: "allow", approval: { status: "approved" } });
    const caller = { from: "caller" } as const;
    await reopened.gate.reportOutcome(decided.callId, { status: "ok", result: 1 }, caller);
    await expect(reopened.gate.reportOutcome(decided.callId, { status: "ok" }, caller)).rejects.toMatchObject(
      {
        code: "CALL_ID_CONFLICT",
      },
    );
  });
});
