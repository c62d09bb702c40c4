// Shared detect-test helpers: a policy with tool labels, and reading a Warden's alert records.
import type { Warden } from "../../src/index.js";

export const LABELLED = {
  default: "allow",
  tools: {
    read_customer: { reads: ["customer_pii"] },
    lookup_contact: { reads: "contacts" },
    send_email: { sends: "external" },
  },
} as const;

export async function alertsOf(warden: Warden) {
  return warden.ledger.store.query({ kinds: ["alert"] });
}

export async function intentOf(warden: Warden, callId: string) {
  const [r] = await warden.ledger.store.query({ callId, kinds: ["call.intent"] });
  return r!.data as { decision: { effect: string; ruleId: string }; detections?: unknown[] };
}

/** Runs `fn` and returns the refusal code (or "ok"). */
export async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    return (err as { code?: string }).code ?? "error";
  }
}
