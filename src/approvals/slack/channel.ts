// One Slack channel for approvals: posts each pending approval, takes decisions from its buttons, and
// replaces the message with the outcome.
import { WardenError } from "../../errors.js";
import type { JsonValue } from "../../json.js";
import { retryDelay } from "../../webhooks/index.js";
import type { SlackChannelSettings } from "../config.js";
import { SeenIds } from "../inbound.js";
import type { NotifyEntry } from "../notify.js";
import type { Approvals } from "../queue.js";
import type { ApprovalView } from "../state.js";
import {
  ACTION,
  approvalMessage,
  BLOCK,
  decidedMessage,
  REASON_INPUT,
  REMEMBER_CHOICES,
  type RememberChoice,
} from "./blocks.js";
import { SlackApi, SlackApiError } from "./client.js";
import { BlockActions, type BlockActionsPayload, ButtonValue } from "./payload.js";
import { verifySlackRequest } from "./verify.js";

export interface SlackChannelOptions {
  settings: SlackChannelSettings;
  botToken: string;
  signingSecret: string;
  queue: Approvals;
  /** One call per delivery attempt (an `approval.notify` record, webhook `slack:<name>`). */
  record: (entry: NotifyEntry) => Promise<void>;
  /** The message a process posted for this approval and channel (`slack:<name>`), from its notify record. */
  findMessage?: (view: ApprovalView, webhook: string) => Promise<{ channel: string; ts: string } | null>;
  attempts?: number;
  baseDelayMs?: number;
  timeoutMs?: number;
}

/** What the interactivity endpoint answers Slack: always quickly, and 200 once the request is Slack's. */
export interface SlackReply {
  status: number;
  body: string;
}

const REMEMBER_MS = 3_600_000;

export class SlackChannel {
  readonly name: string;
  readonly #o: SlackChannelOptions;
  readonly #api: SlackApi;
  readonly #seen = new SeenIds();
  /** Messages posted by this process, so a decision taken elsewhere (dashboard, CLI) updates them too. */
  readonly #posted = new Map<string, { channel: string; ts: string }>();
  readonly #running = new Set<Promise<void>>();
  #closed = false;

  constructor(options: SlackChannelOptions) {
    this.name = options.settings.name;
    this.#o = options;
    this.#api = new SlackApi({
      apiUrl: options.settings.apiUrl,
      botToken: options.botToken,
      timeoutMs: options.timeoutMs,
    });
  }

  /** Posts the approval in the background (retried with back-off); never delays the call that asked. */
  announce(view: ApprovalView): void {
    this.#track(this.#post(view));
  }

  /**
   * A settled approval's message shows its outcome (and no longer the held arguments): when this
   * process posted it, or when this process decided it (then the message is found in the ledger, so
   * one posted before a restart is updated too). Other instances leave it to those two.
   */
  settled(view: ApprovalView, decidedHere = false): void {
    const posted = this.#posted.get(view.id);
    this.#posted.delete(view.id);
    if (!posted && !decidedHere) return;
    // A click in this channel replaces its message itself, from the message the click names.
    if (view.decisions.at(-1)?.via === `slack:${this.name}`) return;
    this.#track(
      (async () => {
        const message = posted ?? (await this.#o.findMessage?.(view, `slack:${this.name}`)) ?? null;
        if (message) await this.#api.update(message.channel, message.ts, decidedMessage(view));
      })().catch(() => undefined),
    );
  }

  /** Lets deliveries in flight finish, then stops. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#running]);
  }

  /**
   * One request to the interactivity endpoint. Not Slack's (signature, window, replay): 401 / 409
   * and nothing else happens. Slack's: 200 at once; a click on Approve or Deny decides as the Slack
   * user's mapped approver name, then the message is replaced with the outcome (or the clicker is told,
   * in a message only they see, why nothing was recorded).
   */
  async interact(
    headers: { signature: string | undefined; timestamp: string | undefined },
    rawBody: string,
    now = new Date(),
  ): Promise<SlackReply> {
    try {
      verifySlackRequest(this.#o.signingSecret, headers, rawBody, this.#seen, now);
    } catch (err) {
      const code = err instanceof WardenError ? err.code : "WEBHOOK_INVALID";
      return { status: code === "WEBHOOK_REPLAYED" ? 409 : 401, body: code };
    }
    const payload = parsePayload(rawBody);
    // Another kind of interaction, or a payload of a shape we do not read: acknowledged, ignored.
    if (!payload) return { status: 200, body: "" };
    const click = payload.actions.find((a) => a.action_id === ACTION.approve || a.action_id === ACTION.deny);
    if (!click) return { status: 200, body: "" };
    this.#track(this.#decide(payload, click));
    return { status: 200, body: "" };
  }

  async #decide(payload: BlockActionsPayload, click: BlockActionsPayload["actions"][number]): Promise<void> {
    const decision = click.action_id === ACTION.approve ? "approve" : "deny";
    try {
      const value = ButtonValue.safeParse(safeJson(click.value));
      if (!value.success) throw new WardenError("INVALID_REQUEST", "the button does not name an approval");
      // Own keys only: a user id such as "constructor" must not find Object.prototype's.
      const users = this.#o.settings.users;
      const name = Object.hasOwn(users, payload.user.id) ? users[payload.user.id] : undefined;
      if (typeof name !== "string" || name === "") {
        throw new WardenError(
          "FORBIDDEN",
          `your Slack user (${payload.user.id}) is not listed in approvals.slack "${this.name}" users, so it cannot decide`,
        );
      }
      const values = payload.state?.values ?? {};
      const reason = values[BLOCK.reason]?.[REASON_INPUT]?.value ?? null;
      const choice = (values[BLOCK.decide]?.[ACTION.remember]?.selected_option?.value ??
        "once") as RememberChoice;
      if (!REMEMBER_CHOICES.some((c) => c.value === choice)) {
        throw new WardenError("INVALID_REQUEST", "unknown remember choice");
      }
      if (decision === "deny" && !reason?.trim()) {
        throw new WardenError(
          "INVALID_REQUEST",
          "a denial needs a reason: write it in the Reason box, then Deny",
        );
      }
      const view = await this.#o.queue.decide(value.data.id, {
        decision,
        approver: { name, role: "approver", via: `slack:${this.name}` },
        reason,
        remember:
          decision === "deny" || choice === "once" ? null : choice === "session" ? "session" : REMEMBER_MS,
        digest: value.data.digest,
      });
      const where = messageOf(payload);
      if (view.status === "pending") {
        const got = view.decisions.filter((d) => d.decision === "approve").length;
        await this.#tell(payload, `Recorded: ${got} of ${view.required} approvals so far.`);
        return;
      }
      this.#posted.delete(view.id);
      if (where) await this.#api.update(where.channel, where.ts, decidedMessage(view));
      else if (payload.response_url) {
        await this.#api.respond(payload.response_url, { replace_original: true, ...decidedMessage(view) });
      }
    } catch (err) {
      const message = err instanceof WardenError ? `${err.code}: ${err.message}` : "internal error";
      await this.#tell(payload, `Nothing was recorded. ${message}`).catch(() => undefined);
    }
  }

  /** A message only the clicker sees, through the interaction's response_url. */
  async #tell(payload: BlockActionsPayload, text: string): Promise<void> {
    if (!payload.response_url) return;
    await this.#api.respond(payload.response_url, {
      response_type: "ephemeral",
      replace_original: false,
      text,
    });
  }

  async #post(view: ApprovalView): Promise<void> {
    const attempts = Math.max(1, this.#o.attempts ?? 5);
    for (let attempt = 1; ; attempt++) {
      try {
        const message = approvalMessage(view, await this.#shownArgs(view));
        const posted = await this.#api.postMessage(this.#o.settings.channel, message);
        this.#posted.set(view.id, posted);
        await this.#record(view, attempt, "delivered", 200, null, posted);
        // Decided while the post was under way: show the outcome at once.
        const now = this.#o.queue.book.get(view.id);
        if (now && now.status !== "pending") this.settled(now);
        return;
      } catch (err) {
        const e = err instanceof SlackApiError ? err : new SlackApiError("internal", null);
        // Slack's refusals of the request itself (bad channel, bad token) will not change on retry.
        const retryable = e.httpStatus === null || e.httpStatus === 429 || e.httpStatus >= 500;
        const last = !retryable || attempt >= attempts || this.#closed;
        await this.#record(view, attempt, last ? "gave_up" : "failed", e.httpStatus, e.slackError);
        if (last) return;
        const retry = { attempts, minDelayMs: this.#o.baseDelayMs ?? 500, maxDelayMs: 30_000 };
        const wait = retryDelay(attempt, retry, e.retryAfterMs);
        await new Promise((r) => setTimeout(r, wait).unref());
      }
    }
  }

  /** The held arguments, when this channel is configured to show them and they are still held. */
  async #shownArgs(view: ApprovalView): Promise<JsonValue | null> {
    if (!this.#o.settings.includeArgs || !this.#o.queue.held) return null;
    const read = await this.#o.queue.held.read(view.id);
    return read.state === "held" ? read.args : null;
  }

  async #record(
    view: ApprovalView,
    attempt: number,
    status: NotifyEntry["status"],
    httpStatus: number | null,
    error: string | null,
    message?: { channel: string; ts: string },
  ): Promise<void> {
    await this.#o
      .record({
        approvalId: view.id,
        callId: view.callId,
        session: view.session,
        agent: view.agent,
        webhook: `slack:${this.name}`,
        attempt,
        status,
        httpStatus,
        error,
        ...(message ? { message } : {}),
      })
      .catch(() => undefined);
  }

  #track(work: Promise<void>): void {
    const p = work.catch(() => undefined).finally(() => this.#running.delete(p));
    this.#running.add(p);
  }
}

/** Slack posts `payload=<JSON>` form-encoded; null for anything else. */
function parsePayload(rawBody: string): BlockActionsPayload | null {
  const raw = new URLSearchParams(rawBody).get("payload");
  if (raw === null) return null;
  const parsed = BlockActions.safeParse(safeJson(raw));
  return parsed.success ? parsed.data : null;
}

function messageOf(payload: BlockActionsPayload): { channel: string; ts: string } | null {
  const channel = payload.container?.channel_id ?? payload.channel?.id;
  const ts = payload.container?.message_ts ?? payload.message?.ts;
  return channel && ts ? { channel, ts } : null;
}

function safeJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
