// Slack's Web API as Warden uses it: chat.postMessage, chat.update, and a message's response_url.
import { WardenError } from "../../errors.js";
import type { JsonObject } from "../../json.js";
import { httpPost, parseRetryAfter } from "../../webhooks/index.js";
import type { SlackMessage } from "./blocks.js";

export interface SlackApiOptions {
  /** The Web API base, e.g. https://slack.com/api (a local receiver in tests). */
  apiUrl: string;
  /** The bot token (xoxb-…); sent only as the Authorization header. */
  botToken: string;
  timeoutMs?: number;
}

/**
 * A failed Slack call. `slackError` is Slack's own short code (`channel_not_found`, `ratelimited`,
 * `http_500`, `timeout`, …), never a response body or the token. `retryAfterMs` when Slack said.
 */
export class SlackApiError extends WardenError {
  readonly slackError: string;
  readonly retryAfterMs: number | null;
  readonly httpStatus: number | null;

  constructor(slackError: string, httpStatus: number | null, retryAfterMs: number | null = null) {
    super("APPROVAL_NOTIFY_FAILED", `Slack refused the request: ${slackError}`, { slackError });
    this.slackError = slackError;
    this.httpStatus = httpStatus;
    this.retryAfterMs = retryAfterMs;
  }
}

export class SlackApi {
  readonly #base: string;
  readonly #token: string;
  readonly #timeoutMs: number;

  constructor(options: SlackApiOptions) {
    this.#base = options.apiUrl.replace(/\/+$/, "");
    this.#token = options.botToken;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
  }

  /** Posts `message` to `channel`; the answer's channel and ts name the message for chat.update. */
  async postMessage(channel: string, message: SlackMessage): Promise<{ channel: string; ts: string }> {
    const answer = await this.#call("chat.postMessage", { channel, ...message, unfurl_links: false });
    if (typeof answer.channel !== "string" || typeof answer.ts !== "string") {
      throw new SlackApiError("bad_answer", 200);
    }
    return { channel: answer.channel, ts: answer.ts };
  }

  async update(channel: string, ts: string, message: SlackMessage): Promise<void> {
    await this.#call("chat.update", { channel, ts, ...message });
  }

  /**
   * Answers through an interaction's response_url (valid for 30 minutes, 5 uses, no token needed).
   * Only an https URL, or one on the API's own origin (a local receiver), is followed.
   */
  async respond(responseUrl: string, body: JsonObject): Promise<void> {
    let url: URL;
    try {
      url = new URL(responseUrl);
    } catch {
      throw new SlackApiError("bad_response_url", null);
    }
    if (url.protocol !== "https:" && url.origin !== new URL(this.#base).origin) {
      throw new SlackApiError("bad_response_url", null);
    }
    const { status } = await this.#post(url, body, {});
    if (status < 200 || status >= 300) throw new SlackApiError(`http_${status}`, status);
  }

  async #call(method: string, body: JsonObject): Promise<Record<string, unknown>> {
    const { status, text, retryAfter } = await this.#post(new URL(`${this.#base}/${method}`), body, {
      authorization: `Bearer ${this.#token}`,
    });
    if (status === 429) throw new SlackApiError("ratelimited", status, retryAfter);
    if (status < 200 || status >= 300) throw new SlackApiError(`http_${status}`, status);
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      throw new SlackApiError("bad_answer", status);
    }
    if (typeof answer !== "object" || answer === null) throw new SlackApiError("bad_answer", status);
    const a = answer as Record<string, unknown>;
    if (a.ok !== true) {
      const code = typeof a.error === "string" && /^[a-z0-9_]{1,64}$/.test(a.error) ? a.error : "not_ok";
      throw new SlackApiError(code, status);
    }
    return a;
  }

  async #post(
    url: URL,
    body: JsonObject,
    headers: Record<string, string>,
  ): Promise<{ status: number; text: string; retryAfter: number | null }> {
    try {
      const answer = await httpPost(url, JSON.stringify(body), {
        headers: { "content-type": "application/json; charset=utf-8", ...headers },
        timeoutMs: this.#timeoutMs,
      });
      return { status: answer.status, text: answer.body, retryAfter: parseRetryAfter(answer.retryAfter) };
    } catch (err) {
      // A code only: an error message can quote the URL.
      const code = (err as NodeJS.ErrnoException).code;
      throw new SlackApiError(
        typeof code === "string" && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? code : "timeout",
        null,
      );
    }
  }
}
