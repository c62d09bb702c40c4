// Tells chat-ops webhooks about new pending approvals: signed POSTs (Standard Webhooks), retried in the background.
import { createHash } from "node:crypto";
import { WardenError } from "../errors.js";
import type { JsonObject, JsonValue } from "../json.js";
import { SignedWebhook } from "../webhooks/index.js";

/** One receiver of approval notifications. */
export interface ApprovalWebhook {
  name: string;
  /** http: or https: only. */
  url: string;
  /** Standard Webhooks secret: `whsec_<base64>` (the prefix is optional), at least 16 bytes. */
  secret: string;
  /** Also send the held arguments (`data.approval.heldArgs`); default false. */
  includeArgs?: boolean;
}

/** A new pending approval; `data` is the body's `data` (the approval view and its action links). */
export interface ApprovalEvent {
  approvalId: string;
  callId: string;
  session: string;
  agent: string;
  data: JsonObject;
  /** The held arguments, for webhooks with `includeArgs` only; null when none are held. */
  heldArgs?: JsonValue | null;
}

/**
 * What happened to one attempt. `failed`: another attempt follows; `gave_up`: none will (a refusal
 * such as 400, the last attempt, or shutdown). `error` is a short stable code (`timeout`,
 * `ECONNREFUSED`, `http_500`, …), never a response body or a secret.
 */
export interface NotifyEntry {
  approvalId: string;
  callId: string;
  session: string;
  agent: string;
  webhook: string;
  attempt: number;
  status: "delivered" | "failed" | "gave_up";
  httpStatus: number | null;
  error: string | null;
  /** Where the chat service keeps the delivered message (Slack), when it has one. */
  message?: { channel: string; ts: string };
}

export interface ApprovalNotifierOptions {
  webhooks: ApprovalWebhook[];
  /** Called once per attempt (the caller makes it an `approval.notify` ledger record); errors are ignored. */
  record: (entry: NotifyEntry) => void | Promise<void>;
  /** Per request (default 5 s). */
  timeoutMs?: number;
  /** Attempts per approval and webhook, the first included (default 6). */
  attempts?: number;
  /** First back-off (default 200 ms), doubled per failure up to `maxDelayMs` (default 30 s), with jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How long close() lets requests in flight finish before aborting them (default 2 s). */
  closeTimeoutMs?: number;
  /** Deliveries (approval × webhook) in progress at most; beyond it new ones give up at once (default 1,000). */
  maxPending?: number;
  /** For tests: the jitter source. */
  random?: () => number;
}

interface Hook {
  name: string;
  target: SignedWebhook;
  includeArgs: boolean;
}

/**
 * Sends `approval.requested` to every configured webhook without ever delaying the decision that
 * created the approval: notify() returns at once and delivery runs in the background. Network errors,
 * timeouts, 408, 429 and 5xx are retried with back-off; other answers give up at once. Every retry
 * carries the same `webhook-id`, so a receiver can drop duplicates.
 *
 * @example
 * const notifier = new ApprovalNotifier({
 *   webhooks: [{ name: "slack-bot", url: "https://bot.example.com/warden", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }],
 *   record: (entry) => console.log(entry),
 * });
 * notifier.notify({ approvalId: "apr_1", callId: "call_1", session: "ses_1", agent: "bot", data: { id: "apr_1" } });
 * await notifier.close();
 */
export class ApprovalNotifier {
  readonly #o: ApprovalNotifierOptions;
  readonly #hooks: Hook[];
  readonly #running = new Set<Promise<void>>();
  /** Aborted by close(): no new attempt starts and back-off waits end. */
  readonly #closing = new AbortController();
  /** Aborted when close() stops waiting: requests still in flight are cut. */
  readonly #abort = new AbortController();
  #closed: Promise<void> | null = null;

  constructor(options: ApprovalNotifierOptions) {
    this.#o = options;
    this.#hooks = options.webhooks.map((w) => ({
      name: w.name,
      // Never quotes the secret.
      target: new SignedWebhook(
        w,
        (why) =>
          new WardenError("INVALID_REQUEST", `approval webhook ${w.name}: ${why}`, { webhook: w.name }),
      ),
      includeArgs: w.includeArgs === true,
    }));
  }

  /** Starts delivery to every webhook and returns at once; the outcome reaches `record`. */
  notify(event: ApprovalEvent): void {
    const timestamp = new Date().toISOString();
    const body = (data: JsonObject) => JSON.stringify({ type: "approval.requested", timestamp, data });
    const plain = body(event.data);
    // Only receivers that opted in get the redacted values, inside the approval object they describe.
    const approval = event.data.approval;
    const withArgs =
      event.heldArgs != null && approval !== null && typeof approval === "object" && !Array.isArray(approval)
        ? body({ ...event.data, approval: { ...approval, heldArgs: event.heldArgs } })
        : plain;
    for (const hook of this.#hooks) {
      const payload = hook.includeArgs ? withArgs : plain;
      const refused = this.#closed
        ? "closed"
        : this.#running.size >= (this.#o.maxPending ?? 1000)
          ? "queue_full"
          : null;
      if (refused) {
        void this.#record(entry(event, hook, 1, "gave_up", null, refused));
        continue;
      }
      const delivery: Promise<void> = this.#deliver(event, hook, payload).finally(() =>
        this.#running.delete(delivery),
      );
      this.#running.add(delivery);
    }
  }

  /** Stops retrying, lets requests in flight finish for up to `closeTimeoutMs`, then aborts them. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing.abort();
      const all = Promise.all(this.#running);
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.#o.closeTimeoutMs ?? 2000);
      });
      await Promise.race([all, bound]);
      clearTimeout(timer);
      this.#abort.abort();
      await all;
    })();
    return this.#closed;
  }

  async #deliver(event: ApprovalEvent, hook: Hook, payload: string): Promise<void> {
    // Stable across retries and restarts (no clock, no randomness), unique per approval and webhook.
    const id = `msg_${createHash("sha256").update(`${event.approvalId}\0${hook.name}`).digest("base64url").slice(0, 32)}`;
    const delivery = await hook.target.deliver(id, payload, {
      attempts: this.#o.attempts ?? 6,
      minDelayMs: this.#o.baseDelayMs ?? 200,
      maxDelayMs: this.#o.maxDelayMs ?? 30_000,
      timeoutMs: this.#o.timeoutMs ?? 5000,
      stop: this.#closing.signal,
      abort: this.#abort.signal,
      random: this.#o.random,
      onAttempt: (attempt, r, last) =>
        this.#record(
          entry(
            event,
            hook,
            attempt,
            r.delivered ? "delivered" : last ? "gave_up" : "failed",
            r.httpStatus,
            r.error,
          ),
        ),
    });
    // Shut down during the back-off: say so, so the ledger shows the notification never got through.
    if (delivery.stopped) {
      await this.#record(entry(event, hook, delivery.attempts + 1, "gave_up", null, "closed"));
    }
  }

  async #record(e: NotifyEntry): Promise<void> {
    // A lost record must not stop delivery or crash the process; the ledger reports its own failures.
    try {
      await this.#o.record(e);
    } catch {}
  }
}

function entry(
  event: ApprovalEvent,
  hook: Hook,
  attempt: number,
  status: NotifyEntry["status"],
  httpStatus: number | null,
  error: string | null,
): NotifyEntry {
  const { approvalId, callId, session, agent } = event;
  return { approvalId, callId, session, agent, webhook: hook.name, attempt, status, httpStatus, error };
}
