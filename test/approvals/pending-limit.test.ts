// approvals.maxPendingPerSession: a session that already has that many approvals pending is denied the
// next ask (APPROVALS_PENDING_LIMIT) without anyone being asked; a decided or expired approval frees
// its place at once.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Approver } from "../../src/approvals/index.js";
import { ApprovalsPendingLimitError, PolicyInvalidError, Warden } from "../../src/index.js";
import { onCleanup, openWarden, tempDir } from "../helpers.js";

const ALICE: Approver = { name: "alice@sec.example.com", role: "approver", via: "api" };

const POLICY = {
  default: "allow" as const,
  rules: [
    { id: "mail-asks", tool: "send_email", decision: "ask" as const, reason: "mail leaves the company" },
  ],
  approvals: { maxPendingPerSession: 2, timeout: "30s" },
};

async function setup(policy: Record<string, unknown> | string = POLICY) {
  const opened = await openWarden(policy);
  const open = () =>
    opened.warden.session({ agent: "bot", onBehalfOf: "carol@example.com", intent: "support" });
  return { ...opened, session: await open(), open };
}

describe("approvals.maxPendingPerSession", () => {
  it("denies an ask past the limit with APPROVALS_PENDING_LIMIT, asks nobody, and records the refusal", async () => {
    const { warden, session, open } = await setup();
    const first = await session.check("send_email", { to: "a@example.com" });
    const second = await session.check("send_email", { to: "b@example.com" });
    expect([first.enforced, second.enforced]).toEqual(["ask", "ask"]);

    const third = await session.check("send_email", { to: "c@example.com" });
    expect(third).toMatchObject({
      enforced: "deny",
      effect: "deny",
      code: "APPROVALS_PENDING_LIMIT",
      ruleId: "approvals:maxPendingPerSession",
      approval: null,
    });
    expect(third.reason).toContain("2 approvals pending");
    expect(third.reason).toContain("mail-asks");

    // No approval request: only the two asked for exist.
    const requests = await warden.ledger.store.query({ kinds: ["approval.request"] });
    expect(requests).toHaveLength(2);
    expect(warden.approvals.queue.book.list((v) => v.status === "pending", 10)).toHaveLength(2);
    const [intent] = await warden.ledger.store.query({ callId: third.callId, kinds: ["call.intent"] });
    expect(intent!.data).toMatchObject({
      decision: { effect: "deny", enforced: "deny", code: "APPROVALS_PENDING_LIMIT" },
    });
    expect(intent!.data).not.toHaveProperty("approval");

    // A call that runs here throws the refusal; nothing runs.
    let sent = 0;
    const send = session.guard("send_email", async (_: { to: string }) => {
      sent++;
    });
    const refused = await send({ to: "d@example.com" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApprovalsPendingLimitError);
    expect(refused).toMatchObject({ code: "APPROVALS_PENDING_LIMIT" });
    expect(sent).toBe(0);

    // Calls the policy allows still pass, and another session has its own count.
    expect((await session.check("read_file", {})).enforced).toBe("allow");
    expect((await (await open()).check("send_email", { to: "e@example.com" })).enforced).toBe("ask");

    // A decision frees a place at once.
    await warden.approvals.queue.decide(first.approval!.id, {
      decision: "deny",
      approver: ALICE,
      reason: "no",
    });
    expect((await session.check("send_email", { to: "f@example.com" })).enforced).toBe("ask");
    expect((await session.check("send_email", { to: "g@example.com" })).enforced).toBe("deny");
  });

  it("still lets a call through that a remembered approval covers", async () => {
    const { warden, session } = await setup({
      ...POLICY,
      rules: [{ id: "mail-asks", tool: "send_email", decision: "ask", approval: { remember: ["$.to"] } }],
      approvals: { maxPendingPerSession: 1, timeout: "30s" },
    });
    const first = await session.check("send_email", { to: "a@example.com" });
    await warden.approvals.queue.decide(first.approval!.id, {
      decision: "approve",
      approver: ALICE,
      remember: "session",
    });
    expect((await session.check("send_email", { to: "b@example.com" })).enforced).toBe("ask");
    const covered = await session.check("send_email", { to: "a@example.com", subject: "again" });
    expect(covered).toMatchObject({ enforced: "allow", approval: { status: "remembered" } });
    expect((await session.check("send_email", { to: "c@example.com" })).code).toBe("APPROVALS_PENDING_LIMIT");
  });

  it("holds for concurrent asks: the ones being recorded count too", async () => {
    const { warden, session } = await setup();
    const decisions = await Promise.all(
      Array.from({ length: 8 }, (_, i) => session.check("send_email", { to: `u${i}@example.com` })),
    );
    expect(decisions.filter((d) => d.enforced === "ask")).toHaveLength(2);
    expect(decisions.filter((d) => d.code === "APPROVALS_PENDING_LIMIT")).toHaveLength(6);
    expect(await warden.ledger.store.query({ kinds: ["approval.request"] })).toHaveLength(2);
  });

  it("in monitor mode records the refusal that would have been and lets the call through", async () => {
    const file = join(tempDir(), "policy.json");
    writeFileSync(file, JSON.stringify(POLICY));
    const { warden, session } = await setup(file);
    await session.check("send_email", { to: "a@example.com" });
    await session.check("send_email", { to: "b@example.com" });
    writeFileSync(file, JSON.stringify({ ...POLICY, mode: "monitor" }));
    expect(await warden.reloadPolicy()).toMatchObject({ ok: true, changed: true });
    const decided = await session.check("send_email", { to: "c@example.com" });
    expect(decided).toMatchObject({
      enforced: "allow",
      effect: "deny",
      code: "APPROVALS_PENDING_LIMIT",
      approval: null,
    });
    expect(await warden.ledger.store.query({ kinds: ["approval.request"] })).toHaveLength(2);
  });

  it("defaults to 100 and takes a positive integer only", async () => {
    const { warden } = await openWarden({ default: "allow" });
    expect(warden.policy.approvalChannels.maxPendingPerSession).toBe(100);
    for (const bad of [0, -1, 1.5, "20", 100_001]) {
      const opening = Warden.open({
        policy: { default: "allow", approvals: { maxPendingPerSession: bad } },
        db: join(tempDir(), "ledger.db"),
      });
      const err = await opening.catch((e: unknown) => e);
      if (err instanceof Warden) onCleanup(() => err.close());
      expect(err).toBeInstanceOf(PolicyInvalidError);
    }
  });
});
