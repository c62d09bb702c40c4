// A policy reload is a new question: a remembered approval covers calls only under the policy it was
// given under, and an approval given for a call that waited does not let it through a policy that now
// denies it, or asks more of it. First on the approval book and the wait, then through Warden's own entry
// points: `check`, `guard` and the gate's call state (an HTTP agent's poll).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { Approver } from "../../src/approvals/index.js";
import { ApprovalWaits } from "../../src/core/approval-waits.js";
import type { Warden } from "../../src/index.js";
import { openWarden, tempDir } from "../helpers.js";

const ALICE: Approver = { name: "alice@sec.example.com", role: "admin", via: "api" };

const ASKS = `default: allow
rules:
  - id: wire
    tool: wire_money
    decision: ask
    approval: { remember: ["$.iban"] }
`;
const FOUR_EYES = `default: allow
rules:
  - id: wire
    tool: wire_money
    decision: ask
    approval: { remember: ["$.iban"], approvers: 2, by: ["role:admin"] }
`;
const DENIES = `default: allow
rules:
  - id: wire
    tool: wire_money
    decision: deny
`;
// Another rule changes; the wire rule asks exactly as before.
const UNRELATED = `${ASKS}  - id: no-shell
    tool: execute_shell
    decision: deny
`;

async function setup(policy = ASKS, extra = "") {
  const file = join(tempDir(), "policy.yaml");
  writeFileSync(file, policy + extra);
  const { warden } = await openWarden(file);
  const session = await warden.session({ agent: "bot", onBehalfOf: "carol@example.com", intent: "pay" });
  const reload = async (next: string) => {
    writeFileSync(file, next + extra);
    expect(await warden.reloadPolicy()).toMatchObject({ ok: true, changed: true });
  };
  /** Approves the one pending approval, once it is there. */
  const approvePending = async () => {
    const pending = () => warden.approvals.queue.book.list((v) => v.status === "pending", 5);
    await vi.waitFor(() => expect(pending()).toHaveLength(1));
    await warden.approvals.queue.decide(pending()[0]!.id, { decision: "approve", approver: ALICE });
  };
  return { warden, session, reload, approvePending };
}

/** The errors of the outcome records: an approved call the reloaded policy refused ends with one. */
async function refusedOutcomes(warden: Warden) {
  const outcomes = await warden.ledger.store.query({ kinds: ["call.outcome"] });
  return outcomes.map((r) => r.data.error);
}

/** The wait as the gate runs it, given the policy in force (what the gate passes it). */
function waitsOf(warden: Warden): ApprovalWaits {
  return new ApprovalWaits({
    approvals: warden.approvals.queue,
    sessions: warden.sessions,
    store: warden.ledger.store,
    onSessionEnd: (listener) => warden.onSessionEnd(listener),
    policy: {
      get current() {
        return warden.policy;
      },
    },
  });
}

describe("remembered approvals across a reload", () => {
  it("a grant given under one policy does not cover a call under the reloaded one", async () => {
    const { warden, session, reload } = await setup();
    const asked = await session.check("wire_money", { iban: "X", amount: 1 });
    const view = await warden.approvals.queue.decide(asked.approval!.id, {
      decision: "approve",
      approver: ALICE,
      remember: "session",
    });
    const before = warden.policy.digest;
    const query = {
      session: session.id,
      agent: "bot",
      onBehalfOf: "carol@example.com",
      ruleId: "wire",
      rememberKey: view.rememberKey,
    };
    expect(warden.approvals.queue.book.grantFor({ ...query, policy: before })?.approvalId).toBe(view.id);
    await reload(FOUR_EYES);
    expect(warden.approvals.queue.book.grantFor({ ...query, policy: warden.policy.digest })).toBeNull();
    // The grant is not forgotten: under the policy that asked it still answers.
    expect(warden.approvals.queue.book.grantFor({ ...query, policy: before })?.approvalId).toBe(view.id);
  });
});

describe("a call that waited while the policy was reloaded", () => {
  async function waited(next: string, extra = "") {
    const ctx = await setup(ASKS, extra);
    const args = { iban: "X", amount: 5 };
    const decision = await ctx.session.check("wire_money", args);
    expect(decision.enforced).toBe("ask");
    await ctx.reload(next);
    await ctx.warden.approvals.queue.decide(decision.approval!.id, { decision: "approve", approver: ALICE });
    return { ...ctx, decision, args, waits: waitsOf(ctx.warden) };
  }

  it("is refused (TOOL_DENIED) when the policy now denies it, in process and over HTTP", async () => {
    const { decision, args, waits } = await waited(DENIES);
    const err = await waits.settled(decision, { args }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "TOOL_DENIED" });
    expect((err as Error).message).toContain("the policy changed while the call waited");
    const state = await waits.callState(decision.callId, 0);
    expect(state).toMatchObject({ decision: "deny", code: "TOOL_DENIED" });
    expect(state.reason).toContain("the policy changed while the call waited");
  });

  it("is refused when the rule now needs more approvers", async () => {
    const { decision, args, waits } = await waited(FOUR_EYES);
    await expect(waits.settled(decision, { args })).rejects.toMatchObject({ code: "TOOL_DENIED" });
    expect(await waits.callState(decision.callId, 0)).toMatchObject({
      decision: "deny",
      code: "TOOL_DENIED",
    });
  });

  it("runs when the reload left its rule and approval settings as they were", async () => {
    const { decision, args, waits } = await waited(UNRELATED);
    await expect(waits.settled(decision, { args })).resolves.toMatchObject({ status: "approved" });
    expect(await waits.callState(decision.callId, 0)).toMatchObject({ decision: "allow", code: null });
  });

  it("over HTTP, redacted arguments cannot be checked again: refused", async () => {
    const { decision, args, waits } = await waited(UNRELATED, 'redact: { wire_money: ["$.iban"] }\n');
    // In process the caller's own arguments are checked.
    await expect(waits.settled(decision, { args })).resolves.toMatchObject({ status: "approved" });
    const state = await waits.callState(decision.callId, 0);
    expect(state).toMatchObject({ decision: "deny", code: "TOOL_DENIED" });
    expect(state.reason).toContain("redacted");
  });
});

describe("policy reloads and approvals, end to end", () => {
  it("a remembered approval does not cover calls once a reload asks for four eyes", async () => {
    const { warden, session, reload } = await setup();
    const asked = await session.check("wire_money", { iban: "X", amount: 1 });
    await warden.approvals.queue.decide(asked.approval!.id, {
      decision: "approve",
      approver: ALICE,
      remember: "session",
    });
    expect((await session.check("wire_money", { iban: "X", amount: 1 })).approval?.status).toBe("remembered");
    await reload(FOUR_EYES);
    const next = await session.check("wire_money", { iban: "X", amount: 999999 });
    expect(next.enforced).toBe("ask");
    expect(next.approval).toMatchObject({ status: "pending", required: 2 });
  });

  it("a guarded call approved after a reload to deny does not run", async () => {
    const { warden, session, reload, approvePending } = await setup();
    let ran = false;
    const wire = session.guard("wire_money", async (_a: { iban: string; amount: number }) => {
      ran = true;
      return "sent";
    });
    const pending = wire({ iban: "X", amount: 5 }).catch((e: unknown) => e);
    await vi.waitFor(() =>
      expect(warden.approvals.queue.book.list((v) => v.status === "pending", 5)).toHaveLength(1),
    );
    await reload(DENIES);
    await approvePending();
    expect(await pending).toMatchObject({ code: "TOOL_DENIED" });
    expect(ran).toBe(false);
    expect(await refusedOutcomes(warden)).toEqual([{ code: "TOOL_DENIED" }]);
  });

  it("an HTTP agent polling its approved call is told deny after a reload to deny", async () => {
    const { warden, session, reload, approvePending } = await setup();
    const decision = await warden.gate.decide(
      { session: session.id, tool: "wire_money", args: { iban: "X", amount: 5 } },
      "remote",
    );
    expect(decision.enforced).toBe("ask");
    await reload(DENIES);
    await approvePending();
    for (let poll = 0; poll < 2; poll++) {
      expect(await warden.gate.callState(decision.callId, 0)).toMatchObject({
        decision: "deny",
        code: "TOOL_DENIED",
      });
    }
    // Its end is in the ledger once, and no report can follow it.
    expect(await refusedOutcomes(warden)).toEqual([{ code: "TOOL_DENIED" }]);
    await expect(
      warden.gate.reportOutcome(decision.callId, { status: "ok", result: 1 }, { from: "remote" }),
    ).rejects.toMatchObject({ code: "CALL_ID_CONFLICT" });
  });
});
