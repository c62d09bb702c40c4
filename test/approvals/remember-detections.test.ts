// A remembered approval answers the rule's question only: a call a detector also asks about (a data flow,
// an exfiltration pattern) asks people again, and the approval they see names the detector.
import { describe, expect, it } from "vitest";
import type { Approver } from "../../src/approvals/index.js";
import { openWarden } from "../helpers.js";

const ALICE: Approver = { name: "alice@sec.example.com", role: "approver", via: "api" };

describe("a remembered approval and a detector's ask", () => {
  it("asks again when a detector asks besides the rule, and names the detector", async () => {
    const { warden } = await openWarden({
      default: "allow",
      tools: { read_customer: { reads: ["customer_pii"] }, send_email: { sends: "external" } },
      detect: {
        flow: [{ id: "pii-out", after: { reads: "customer_pii" }, to: { sends: "external" }, action: "ask" }],
      },
      rules: [{ id: "mail-asks", tool: "send_email", decision: "ask", approval: { remember: ["$.to"] } }],
    });
    const session = await warden.session({
      agent: "bot",
      onBehalfOf: "carol@example.com",
      intent: "support",
    });
    const first = await session.check("send_email", { to: "bob@x.com", body: "hello" });
    await warden.approvals.queue.decide(first.approval!.id, {
      decision: "approve",
      approver: ALICE,
      remember: "session",
    });
    // Remembered: the same question again passes.
    const again = await session.check("send_email", { to: "bob@x.com", body: "hello again" });
    expect(again).toMatchObject({ enforced: "allow", approval: { status: "remembered" } });

    await session.check("read_customer", { id: 7 });
    const afterRead = await session.check("send_email", { to: "bob@x.com", body: "SSN 123-45-6789" });
    expect(afterRead).toMatchObject({ enforced: "ask", approval: { status: "pending" } });
    const view = warden.approvals.queue.book.get(afterRead.approval!.id)!;
    expect(view.reason).toContain("flow");
  });
});
