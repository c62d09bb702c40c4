// Sends a sandbox alert to the SOC: a signed POST (Standard Webhooks) with the session's recent records attached.
import { createHash } from "node:crypto";
import type { JsonValue } from "../json.js";
import { SignedWebhook } from "../webhooks/index.js";
import { SandboxError } from "./errors.js";

/** What an alert says: one violation and what Warden did about it. */
export interface SandboxAlert {
  session: string;
  agent: string | null;
  callId: string | null;
  tool: string | null;
  host: string;
  port: number;
  reason: string;
  address: string | null;
  /** "killed": the sandbox and session were ended; "denied": only that connection was refused. */
  action: "killed" | "denied";
  /** ISO-8601 time of the violation. */
  at: string;
}

export interface AlertWebhook {
  /** http: or https: only. */
  url: string;
  /** Standard Webhooks secret: `whsec_<base64>` (the prefix is optional), at least 16 bytes. */
  secret: string;
}

export interface AlertSenderOptions {
  webhook: AlertWebhook;
  /** The session's recent ledger records (as JSON, oldest first), attached to the alert; a failure attaches none. */
  recentRecords?: (sessionId: string) => Promise<readonly JsonValue[]> | readonly JsonValue[];
  /** At most this many records, the last ones (default 50). */
  maxRecords?: number;
  /** Per request (default 5 s). */
  timeoutMs?: number;
  /** Attempts, the first included (default 3); network errors, 408, 429 and 5xx are retried. */
  attempts?: number;
  /** First back-off (default 200 ms). */
  baseDelayMs?: number;
}

/** How delivery went; `error` is a short code (`http_500`, `ECONNREFUSED`, `timeout`), never a body. */
export interface AlertDelivery {
  status: "delivered" | "gave_up";
  attempts: number;
  httpStatus: number | null;
  error: string | null;
}

/**
 * Makes the `alert` callback of a KillSwitch: each call POSTs `{type: "sandbox.violation", timestamp,
 * data: {...alert, records}}`, signed with the webhook's secret, and resolves with the outcome (it never
 * throws). Every retry carries the same `webhook-id`.
 *
 * @example
 * const alert = createAlertSender({
 *   webhook: { url: "https://soc.example.com/warden", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
 *   recentRecords: async (session) => (await store.query({ session, newestFirst: true, limit: 50 })).reverse(),
 * });
 */
export function createAlertSender(o: AlertSenderOptions): (alert: SandboxAlert) => Promise<AlertDelivery> {
  const hook = new SignedWebhook(
    o.webhook,
    (why) => new SandboxError("SANDBOX_INVALID", `alert webhook: ${why}`),
  );
  return (alert) => send(alert, hook, o);
}

async function send(alert: SandboxAlert, hook: SignedWebhook, o: AlertSenderOptions): Promise<AlertDelivery> {
  let records: readonly JsonValue[] = [];
  try {
    records = (await o.recentRecords?.(alert.session)) ?? [];
  } catch {}
  const max = o.maxRecords ?? 50;
  const payload = JSON.stringify({
    type: "sandbox.violation",
    timestamp: new Date().toISOString(),
    data: { ...alert, records: records.slice(-max) },
  });
  const id = `msg_${createHash("sha256")
    .update(`${alert.session}\0${alert.host}\0${alert.port}\0${alert.at}`)
    .digest("base64url")
    .slice(0, 32)}`;
  const { status, attempts, httpStatus, error } = await hook.deliver(id, payload, {
    attempts: o.attempts ?? 3,
    minDelayMs: o.baseDelayMs ?? 200,
    maxDelayMs: 5000,
    timeoutMs: o.timeoutMs ?? 5000,
  });
  return { status, attempts, httpStatus, error };
}
