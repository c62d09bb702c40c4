// Sends a sandbox alert to the SOC: a signed POST (Standard Webhooks) with the session's recent records attached.
import { createHash } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { backoffDelay, httpPost } from "../export/index.js";
import type { JsonValue } from "../json.js";
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
  /** Standard Webhooks secret: `whsec_<base64>` (the prefix is optional). */
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
  let url: URL | null = null;
  try {
    url = new URL(o.webhook.url);
  } catch {}
  if (url?.protocol !== "http:" && url?.protocol !== "https:") {
    throw new SandboxError("SANDBOX_INVALID", "alert webhook: the url must be http: or https:");
  }
  const target = url;
  let signer: Webhook;
  try {
    const raw = String(o.webhook.secret).replace(/^whsec_/, "");
    // The library decodes leniently; a weak or garbled secret must not sign alerts.
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(raw) || Buffer.from(raw, "base64").length < 16) throw new Error();
    signer = new Webhook(o.webhook.secret);
  } catch {
    throw new SandboxError("SANDBOX_INVALID", "alert webhook: the secret is not whsec_<base64>");
  }
  return (alert) => send(alert, target, signer, o);
}

async function send(
  alert: SandboxAlert,
  url: URL,
  signer: Webhook,
  o: AlertSenderOptions,
): Promise<AlertDelivery> {
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
  const attempts = Math.max(1, o.attempts ?? 3);
  const timeoutMs = o.timeoutMs ?? 5000;
  let last: AlertDelivery = { status: "gave_up", attempts: 0, httpStatus: null, error: null };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const now = new Date();
    let httpStatus: number | null = null;
    let error: string | null = null;
    try {
      ({ status: httpStatus } = await httpPost(url, payload, {
        headers: {
          "content-type": "application/json",
          "webhook-id": id,
          "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
          "webhook-signature": signer.sign(id, now, payload),
        },
        timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      }));
      if (httpStatus >= 200 && httpStatus < 300)
        return { status: "delivered", attempts: attempt, httpStatus, error };
      error = `http_${httpStatus}`;
    } catch (err) {
      // Codes only: a message can quote the URL, which may carry a token.
      const code = (err as NodeJS.ErrnoException).code;
      error = typeof code === "string" && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? code : "timeout";
    }
    last = { status: "gave_up", attempts: attempt, httpStatus, error };
    const retryable = httpStatus === null || httpStatus >= 500 || httpStatus === 408 || httpStatus === 429;
    if (!retryable || attempt >= attempts) break;
    const delay = backoffDelay(attempt, { attempts, minDelayMs: o.baseDelayMs ?? 200, maxDelayMs: 5000 });
    await new Promise((r) => setTimeout(r, delay));
  }
  return last;
}
