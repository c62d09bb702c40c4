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

/**
 * Value-level flow tracking at scale: a session holding 10,000 tracked result values (each searched in
 * its plain, hex, base64 and base64url forms) and a call with about 10 KB of arguments, none of them
 * leaked, so every byte is searched. Measures the whole detections stage for that call.
 */
export function benchTrackedValues(values = 10_000, samples = 5_000) {
  const settings = parsePolicy(
    JSON.stringify({
      default: "allow",
      detect: {
        flow: [{ id: "no-results-out", from: { results: "any" }, to: { tools: ["post_*"] }, action: "deny" }],
      },
    }),
    "<bench>",
  ).detect;
  const detect = new Detections();
  const session = { id: "ses_values", agent: "support", intent: "work", parent: null };
  const allow = { effect: "allow", ruleId: "default", reason: "default" } as const;
  detect.screen(
    { callId: "r0", tool: "read_all", args: {}, session, now: Date.now() },
    settings,
    allow,
    false,
  );
  const rows = Array.from({ length: values }, (_, i) => ({
    token: `tok_${i.toString(36)}_${((i * 2654435761) >>> 0).toString(16)}`,
  }));
  detect.observeResult(settings, session.id, "read_all", "r0", rows);
  const paragraph = sampleArgs() as { body: string };
  const args = {
    channel: "#support",
    text: paragraph.body.repeat(12).slice(0, 10_000),
    thread: "1712345678.000100",
  };
  const bytes = Buffer.byteLength(JSON.stringify(args));
  const run = (i: number) =>
    detect.screen(
      { callId: `p${i}`, tool: "post_message", args, session, now: Date.now() },
      settings,
      allow,
      false,
    );
  if (run(0).verdict.effect !== "allow")
    throw new Error("the benchmark's arguments must hold no tracked value");
  for (let i = 0; i < 500; i++) run(i);
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = process.hrtime.bigint();
    run(i);
    times.push(Number(process.hrtime.bigint() - t));
  }
  times.sort((a, b) => a - b);
  return { values, bytes, p50Us: percentile(times, 50) / 1000, p99Us: percentile(times, 99) / 1000 };
}
