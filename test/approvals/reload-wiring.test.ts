// The reload rules of reload.test.ts through Warden's own entry points: `check` (remembered approvals),
// `guard` (a call waiting in process) and the gate's call state (an HTTP agent's poll).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Approver } from "../../src/approvals/index.js";
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

async function setup() {
  const file = join(tempDir(), "policy.yaml");
  writeFileSync(file, ASKS);
  const { warden } = await openWarden(file);
  const session = await warden.session({ agent: "bot", onBehalfOf: "carol@example.com", intent: "pay" });
  const reload = async (next: string) => {
    writeFileSync(file, next);
    expect(await warden.reloadPolicy()).toMatchObject({ ok: true, changed: true });
  };
  const approvePending = async () => {
    const [view] = warden.approvals.queue.book.list((v) => v.status === "pending", 5);
    await warden.approvals.queue.decide(view!.id, { decision: "approve", approver: ALICE });
  };
  return { warden, session, reload, approvePending };
}

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
    const { session, reload, approvePending } = await setup();
    let ran = false;
    const wire = session.guard("wire_money", async (_a: { iban: string; amount: number }) => {
      ran = true;
      return "sent";
    });
    const pending = wire({ iban: "X", amount: 5 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    await reload(DENIES);
    await approvePending();
    expect(await pending).toMatchObject({ code: "TOOL_DENIED" });
    expect(ran).toBe(false);
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
    expect(await warden.gate.callState(decision.callId, 0)).toMatchObject({
      decision: "deny",
      code: "TOOL_DENIED",
    });
  });
});
