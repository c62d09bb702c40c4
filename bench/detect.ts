// The detections stage alone: every pre-execution detector on a 1 KB argument object, per call.
import { Detections, mintCanary } from "../src/detect/index.js";
import type { JsonValue } from "../src/json.js";
import type { LedgerRecord } from "../src/ledger/index.js";
import { parsePolicy } from "../src/policy/index.js";
import { percentile } from "./stats.js";

const POLICY = {
  default: "allow",
  tools: { read_customer: { reads: "customer_pii" }, send_email: { sends: "external" } },
  intents: { "answer ticket*": ["read_ticket", "kb__*", "send_email"] },
  detect: {
    dlp: { action: "deny", pii: ["email", "phone", "card", "iban"] },
    canary: { action: "deny" },
    flow: [
      { id: "pii-out", after: { reads: "customer_pii" }, to: { sends: "external" }, action: "ask" },
      { id: "recipient", from: { results: "email" }, to: { tools: ["send_email"] }, action: "ask" },
    ],
    intent: { action: "alert" },
    drift: { minObservations: 20 },
    rate: {},
  },
};

/** About 1 KB of JSON shaped like an email a support agent sends: text, a few ids, an address. */
export function sampleArgs(): JsonValue {
  const args = {
    to: "customer.name@example.org",
    cc: ["support-team@corp.example"],
    subject: "Re: your ticket #48213 about the invoice for order 2024-11-0042",
    body:
      "Hello, thank you for reaching out. We looked at invoice INV-2024-11-0042 and found that the " +
      "discount code was applied twice, so we have issued a credit note for the difference. It will " +
      "show on your next statement within five working days. If anything else looks wrong, reply to " +
      "this message and quote the ticket number. Kind regards, the support team. ".repeat(7),
    meta: { ticket: 48213, priority: "normal", tags: ["billing", "invoice", "credit-note"] },
  };
  return args;
}

export function benchDetect(samples = 50_000) {
  const settings = parsePolicy(JSON.stringify(POLICY), "<bench>").detect;
  const detect = new Detections();
  for (let i = 0; i < 10; i++) {
    const c = mintCanary(i % 2 === 0 ? "aws-key" : "email", null);
    detect.noteRecord({ kind: "canary.create", data: { ...c }, ts: c.createdAt } as unknown as LedgerRecord);
  }
  const args = sampleArgs();
  const bytes = Buffer.byteLength(JSON.stringify(args));
  const session = { id: "ses_bench", agent: "support", intent: "answer ticket 48213" };
  const allow = { effect: "allow", ruleId: "default", reason: "default" } as const;
  // A session with history: a read result whose values the provenance rule checks against.
  detect.screen(
    { callId: "c0", tool: "read_ticket", args: {}, session, now: Date.now() },
    settings,
    allow,
    false,
  );
  detect.observeResult(settings, session.id, "read_ticket", "c0", {
    from: "someone@else.example",
    ids: Array.from({ length: 200 }, (_, i) => `id-${i}-abcdef`),
  });
  const run = (i: number) =>
    detect.screen(
      { callId: `c${i}`, tool: "send_email", args, session, now: Date.now() },
      settings,
      allow,
      false,
    );
  for (let i = 0; i < 5_000; i++) run(i);
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = process.hrtime.bigint();
    run(i);
    times.push(Number(process.hrtime.bigint() - t));
  }
  times.sort((a, b) => a - b);
  return { bytes, p50Us: percentile(times, 50) / 1000, p99Us: percentile(times, 99) / 1000 };
}
