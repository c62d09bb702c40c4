// A remembered approval covers exactly what was approved: the remembered fields, every field the rule's
// condition reads, the exact arguments when the rule declares no scope, and only in its session.
import { describe, expect, it } from "vitest";
import type { Approver } from "../../src/approvals/index.js";
import type { Session } from "../../src/index.js";
import { openWarden } from "../helpers.js";

const ALICE: Approver = { name: "alice@sec.example.com", role: "approver", via: "api" };
const BOB: Approver = { name: "bob@sec.example.com", role: "approver", via: "api" };

async function setup(policy: Record<string, unknown>) {
  const { warden } = await openWarden({ default: "allow", ...policy });
  const session = await warden.session({ agent: "bot", onBehalfOf: "carol@example.com", intent: "support" });
  /** Asks, has it approved by `by` with `remember`, and returns the approval's view. */
  const approve = async (
    s: Session,
    tool: string,
    args: Record<string, unknown>,
    remember: "session" | number,
    by: Approver[] = [ALICE],
  ) => {
    const asked = await s.check(tool, args);
    expect(asked.enforced).toBe("ask");
    let view = warden.approvals.queue.book.get(asked.approval!.id)!;
    for (const approver of by) {
      view = await warden.approvals.queue.decide(view.id, { decision: "approve", approver, remember });
    }
    expect(view.status).toBe("approved");
    return view;
  };
  return { warden, session, approve };
}

describe("what a remembered approval covers", () => {
  it("a rule without its own remember does not inherit approvals.remember: cc approved, bcc asks again", async () => {
    const { session, approve } = await setup({
      approvals: { remember: ["$.to"] },
      rules: [{ id: "mail-asks", tool: "send_email", decision: "ask" }],
    });
    await approve(session, "send_email", { cc: "colleague@example.com", body: "minutes" }, "session");
    await expect(
      session.check("send_email", { bcc: "attacker@evil.example", body: "all customer data" }),
    ).resolves.toMatchObject({ enforced: "ask" });
    // The exact arguments are remembered.
    await expect(
      session.check("send_email", { cc: "colleague@example.com", body: "minutes" }),
    ).resolves.toMatchObject({ enforced: "allow", approval: { status: "remembered" } });
  });

  it("a rule that opts in with remember: default keys on approvals.remember, and a missing field matches only a missing one", async () => {
    const { session, approve } = await setup({
      approvals: { remember: ["$.to"] },
      rules: [{ id: "mail-asks", tool: "send_email", decision: "ask", approval: { remember: "default" } }],
    });
    const view = await approve(
      session,
      "send_email",
      { to: "bob@x.com", subject: "hi", body: "b" },
      3_600_000,
    );
    expect(view.scope["1h"]).toBe(
      'later `send_email` calls with to "bob@x.com", and any subject and body and other arguments, for 1 hour, in this session',
    );
    await expect(session.check("send_email", { to: "bob@x.com", body: "other" })).resolves.toMatchObject({
      enforced: "allow",
    });
    await expect(session.check("send_email", { body: "other" })).resolves.toMatchObject({ enforced: "ask" });
    await expect(session.check("send_email", { to: ["bob@x.com"] })).resolves.toMatchObject({
      enforced: "ask",
    });
  });

  it("deploy {env: staging} approved by two people does not let deploy {env: prod, version: evil, force: true} through", async () => {
    const { session, approve } = await setup({
      approvals: { remember: ["$.service"] },
      rules: [
        {
          id: "deploy-four-eyes",
          tool: "deploy",
          decision: "ask",
          when: 'args.env != "dev"',
          approval: { approvers: 2, by: ["*@sec.example.com"] },
        },
      ],
    });
    await approve(session, "deploy", { env: "staging" }, "session", [ALICE, BOB]);
    await expect(
      session.check("deploy", { env: "prod", version: "evil", force: true }),
    ).resolves.toMatchObject({ enforced: "ask" });
  });

  it("a remembered iban does not cover another amount the rule's condition reads", async () => {
    const { warden, session, approve } = await setup({
      rules: [
        {
          id: "pay-asks",
          tool: "pay",
          decision: "ask",
          when: "args.amount > 100",
          approval: { remember: ["$.iban"] },
        },
      ],
    });
    const view = await approve(session, "pay", { amount: 500, iban: "X" }, 3_600_000);
    expect(view.rememberPaths).toEqual(['$["amount"]', '$["iban"]']);
    expect(view.scope.covers).toBe('later `pay` calls with amount 500, iban "X", and any other arguments');
    await expect(session.check("pay", { amount: 1_000_000_000, iban: "X" })).resolves.toMatchObject({
      enforced: "ask",
    });
    await expect(session.check("pay", { amount: 500, iban: "X", memo: "again" })).resolves.toMatchObject({
      enforced: "allow",
      approval: { id: view.id, status: "remembered" },
    });
    // Remembered for a time, still only in the session the approver saw.
    const other = await warden.session({ agent: "bot", onBehalfOf: "carol@example.com", intent: "support" });
    await expect(other.check("pay", { amount: 500, iban: "X" })).resolves.toMatchObject({ enforced: "ask" });
  });

  it("a condition that reads the arguments as a whole keeps the exact arguments, whatever remember names", async () => {
    const { session, approve } = await setup({
      rules: [
        {
          id: "pay-asks",
          tool: "pay",
          decision: "ask",
          when: "size(args) > 0",
          approval: { remember: ["$.iban"] },
        },
      ],
    });
    const view = await approve(session, "pay", { amount: 500, iban: "X" }, "session");
    expect(view.rememberPaths).toBeNull();
    expect(view.scope.session).toBe(
      "later `pay` calls with exactly these arguments, for the rest of this session",
    );
    await expect(session.check("pay", { amount: 501, iban: "X" })).resolves.toMatchObject({
      enforced: "ask",
    });
  });
});
