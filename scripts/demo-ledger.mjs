// A realistic ledger for the dashboard's screenshots and browser tests: three agents, their users, allowed,
// denied and approved calls, a canary and an intent alert, ended (sealed) sessions and one call waiting for a person.

/** The policy the demo runs under (also what the screenshots show on the Agents page). */
export const DEMO_POLICY = {
  agents: {
    "support-bot": {
      team: "support",
      developer: "dana@example.com",
      description: "Answers customer tickets and issues small refunds",
      tools: ["read_ticket", "search_kb", "send_email", "refund"],
    },
    "billing-bot": {
      team: "finance",
      developer: "frank@example.com",
      description: "Reconciles invoices and flags double charges",
      tools: ["read_invoice", "refund", "export_report"],
    },
    "research-agent": {
      team: "data",
      developer: "rosa@example.com",
      description: "Summarises support trends for the weekly review",
      tools: ["search_kb", "read_ticket", "run_sql"],
    },
  },
  intents: { "answer ticket*": ["read_ticket", "search_kb", "send_email", "refund"] },
  detect: { intent: { action: "alert" }, canary: { action: "deny" } },
  rules: [
    { id: "reads", tools: ["read_ticket", "read_invoice", "search_kb"], decision: "allow" },
    { id: "customer-mail", tools: ["send_email"], decision: "allow" },
    {
      id: "refund-needs-human",
      tools: ["refund"],
      decision: "ask",
      reason: "refunds move money: a person approves each one",
    },
    { id: "no-raw-sql", tools: ["run_sql"], decision: "deny", reason: "agents query through reports only" },
    { id: "reports", tools: ["export_report"], decision: "allow" },
  ],
  redact: { refund: ["$.card"] },
};

const approver = { name: "ann@example.com", role: "approver", via: "dashboard" };

/** Waits for the one approval of `tool` that is pending and decides it. */
async function decideWhenAsked(warden, tool, decision, reason) {
  for (let i = 0; i < 200; i++) {
    const [view] = warden.approvals.queue.book.list((v) => v.status === "pending" && v.tool === tool, 1);
    if (view) return warden.approvals.queue.decide(view.id, { decision, approver, reason });
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no pending approval of ${tool} appeared`);
}

/**
 * Fills `warden`'s ledger. Returns the call still waiting for a person (`pending`: settle it, e.g. by
 * deciding in the browser, before closing the Warden) and the ids worth opening.
 */
export async function seedDemoLedger(warden) {
  const ok = (tool) => async (args) => ({ tool, ok: true, echo: Object.keys(args) });

  const alice = await warden.session({
    agent: "support-bot",
    onBehalfOf: "alice@example.com",
    intent: "answer ticket #4521 (double charge on order A-1001)",
  });
  await alice.guard("read_ticket", ok("read_ticket")).with({
    rationale: "read the customer's ticket first",
    callId: "call_ticket_4521",
  })({ id: 4521 });
  await alice.guard("search_kb", ok("search_kb"))({ query: "duplicate charge refund policy" });
  await alice.guard("read_ticket", ok("read_ticket"))({ id: 4519 });
  const refund = alice.guard("refund", ok("refund")).with({
    rationale: "the customer was charged twice for order A-1001",
    callId: "call_refund_a1001",
  });
  const approved = refund({ order: "A-1001", amount: 42.5, currency: "EUR", card: "4111 1111 1111 1111" });
  await decideWhenAsked(warden, "refund", "approve", "matches the duplicate charge on the statement");
  await approved;
  await alice.guard(
    "send_email",
    ok("send_email"),
  )({
    to: "alice@example.com",
    subject: "Your refund for order A-1001",
  });
  // Outside the session's declared intent: the intent detector raises an alert.
  await alice.check("export_report", { report: "all-customers" }, { callId: "call_export_offintent" });
  await alice.end("ticket resolved");

  const bob = await warden.session({
    agent: "billing-bot",
    onBehalfOf: "bob@example.com",
    intent: "reconcile March invoices",
  });
  for (let id = 9001; id <= 9024; id++) await bob.guard("read_invoice", ok("read_invoice"))({ id });
  await bob.guard("export_report", ok("export_report"))({ report: "march-reconciliation" });
  const denied = bob.guard("refund", ok("refund")).with({ rationale: "invoice 9003 was paid twice" })({
    order: "INV-9003",
    amount: 1890,
    currency: "EUR",
  });
  await decideWhenAsked(warden, "refund", "deny", "above the agent's refund limit; finance handles it");
  await denied.catch(() => undefined);
  await bob.end("done");

  const canary = await warden.createCanary("aws-key", "decoy key in the analytics bucket");
  const rosa = await warden.session({
    agent: "research-agent",
    onBehalfOf: "rosa@example.com",
    intent: "weekly support trends",
  });
  await rosa.guard("search_kb", ok("search_kb"))({ query: "top complaint categories last week" });
  await rosa.check("run_sql", { sql: "select email from customers" }).catch(() => undefined);
  // The agent picked up the planted decoy key and tries to use it: the canary detector denies the call.
  await rosa
    .check("search_kb", { query: `connect with ${canary.value}` }, { callId: "call_canary_hit" })
    .catch(() => undefined);
  await rosa.end("review compiled");

  // Last: a refund that waits for a person (what an approver opens from a chat link).
  const carol = await warden.session({
    agent: "support-bot",
    onBehalfOf: "carol@example.com",
    intent: "answer ticket #4533 (damaged delivery)",
  });
  await carol.guard("read_ticket", ok("read_ticket"))({ id: 4533 });
  const pending = carol.guard("refund", ok("refund")).with({
    rationale: "the parcel arrived damaged; photos attached to ticket #4533",
    callId: "call_refund_pending",
  })({
    order: "A-1077",
    amount: 129,
    currency: "EUR",
    card: "5500 0000 0000 0004",
  });
  pending.catch(() => undefined);
  return {
    pending,
    session: carol,
    callIds: { approved: "call_refund_a1001", alert: "call_export_offintent" },
  };
}
