// A local stand-in for Slack (there is no network here): the Web API methods Warden calls
// (chat.postMessage, chat.update), response_url receivers, and the "user clicks a button" side, which
// sends a signed block_actions interaction the way Slack documents it. Faithful to Slack's documented
// shapes: api.slack.com/methods/chat.postMessage, …/chat.update, …/reference/interaction-payloads/block-actions,
// …/authentication/verifying-requests-from-slack.
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type Block = Record<string, unknown> & { type: string; block_id?: string };

export interface SlackMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: Block[];
}

export interface FakeSlackOptions {
  botToken: string;
  signingSecret: string;
  channels: string[];
}

const BLOCK_TYPES = new Set(["header", "section", "context", "actions", "input", "divider"]);

export class FakeSlack {
  readonly messages = new Map<string, SlackMessage>();
  /** Every Web API call in order: method, JSON body and when it arrived. */
  readonly calls: { method: string; body: Record<string, unknown>; at: number }[] = [];
  /** What arrived at response_url, in order. */
  readonly responses: Record<string, unknown>[] = [];
  /** Answer chat.postMessage with this HTTP status next (then normal again), with a Retry-After if given. */
  failNextPost: number | { status: number; retryAfter: string } | null = null;
  #server: Server | null = null;
  #seq = 0;
  readonly #o: FakeSlackOptions;

  constructor(options: FakeSlackOptions) {
    this.#o = options;
  }

  get url(): string {
    const { port } = this.#server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  get apiUrl(): string {
    return `${this.url}/api`;
  }

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      void body(req).then((text) => {
        const reply = this.#handle(req, text);
        res.writeHead(reply.status, { "content-type": "application/json; charset=utf-8", ...reply.headers });
        res.end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, "127.0.0.1", resolve));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }

  #handle(
    req: IncomingMessage,
    text: string,
  ): { status: number; body: Record<string, unknown>; headers?: Record<string, string> } {
    if (req.url?.startsWith("/response/")) {
      this.responses.push(JSON.parse(text));
      return { status: 200, body: { ok: true } };
    }
    const method = req.url?.replace(/^\/api\//, "") ?? "";
    // Web API: JSON bodies need the bearer token in the Authorization header.
    if (req.headers.authorization !== `Bearer ${this.#o.botToken}`)
      return ok({ ok: false, error: "invalid_auth" });
    if (!String(req.headers["content-type"]).startsWith("application/json")) {
      return ok({ ok: false, error: "invalid_form_data" });
    }
    const body = JSON.parse(text) as Record<string, unknown>;
    this.calls.push({ method, body, at: Date.now() });
    if (method === "chat.postMessage") {
      if (this.failNextPost !== null) {
        const fail =
          typeof this.failNextPost === "number" ? { status: this.failNextPost } : this.failNextPost;
        this.failNextPost = null;
        // Slack's rate limit: HTTP 429 with Retry-After in seconds (api.slack.com/docs/rate-limits).
        if (fail.status === 429)
          return { status: 429, body: { ok: false, error: "ratelimited" }, headers: retryAfterOf(fail) };
        return {
          status: fail.status,
          body: { ok: false, error: "internal_error" },
          headers: retryAfterOf(fail),
        };
      }
      if (!this.#o.channels.includes(String(body.channel)))
        return ok({ ok: false, error: "channel_not_found" });
      const problem = checkBlocks(body.blocks);
      if (problem) return ok({ ok: false, error: "invalid_blocks", errors: [problem] });
      const ts = `1767225600.${String(++this.#seq).padStart(6, "0")}`;
      const message = {
        channel: String(body.channel),
        ts,
        text: String(body.text ?? ""),
        blocks: body.blocks as Block[],
      };
      this.messages.set(ts, message);
      return ok({
        ok: true,
        channel: message.channel,
        ts,
        message: { type: "message", text: message.text, ts },
      });
    }
    if (method === "chat.update") {
      const message = this.messages.get(String(body.ts));
      if (!message || message.channel !== body.channel) return ok({ ok: false, error: "message_not_found" });
      const problem = checkBlocks(body.blocks);
      if (problem) return ok({ ok: false, error: "invalid_blocks", errors: [problem] });
      message.text = String(body.text ?? "");
      message.blocks = body.blocks as Block[];
      return ok({ ok: true, channel: message.channel, ts: message.ts, text: message.text });
    }
    return ok({ ok: false, error: "unknown_method" });
  }

  /**
   * The request Slack sends when `userId` clicks the button `actionId` of message `ts`, after typing
   * `reason` and picking `remember` (the values of the message's input elements go in `state`).
   */
  clickPayload(
    ts: string,
    userId: string,
    actionId: string,
    input: { reason?: string; remember?: string } = {},
  ): Record<string, unknown> {
    const message = this.messages.get(ts);
    if (!message) throw new Error(`no message ${ts}`);
    const values: Record<string, Record<string, unknown>> = {};
    let clicked: Record<string, unknown> | null = null;
    let clickedBlock = "";
    for (const block of message.blocks) {
      const blockId = String(block.block_id ?? "");
      if (block.type === "input") {
        const element = block.element as { type: string; action_id: string };
        values[blockId] = { [element.action_id]: { type: element.type, value: input.reason ?? null } };
      }
      if (block.type !== "actions") continue;
      for (const element of block.elements as Record<string, unknown>[]) {
        if (element.type === "static_select") {
          const options = element.options as { value: string }[];
          const chosen = options.find(
            (o) => o.value === (input.remember ?? (element.initial_option as { value: string }).value),
          );
          values[blockId] = {
            ...values[blockId],
            [String(element.action_id)]: { type: "static_select", selected_option: chosen ?? null },
          };
        }
        if (element.action_id === actionId) {
          clicked = element;
          clickedBlock = blockId;
        }
      }
    }
    if (!clicked) throw new Error(`no element ${actionId} in message ${ts}`);
    return {
      type: "block_actions",
      user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: "T0FAKE001" },
      api_app_id: "A0FAKE001",
      token: "legacy-verification-token",
      container: { type: "message", message_ts: ts, channel_id: message.channel, is_ephemeral: false },
      trigger_id: "1767225600.1.fake",
      team: { id: "T0FAKE001", domain: "example" },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: message.channel, name: "approvals" },
      message: { type: "message", ts, text: message.text, blocks: message.blocks },
      state: { values },
      response_url: `${this.url}/response/${ts}`,
      actions: [
        {
          action_id: actionId,
          block_id: clickedBlock,
          text: clicked.text,
          value: clicked.value,
          style: clicked.style,
          type: clicked.type,
          action_ts: "1767225601.000001",
        },
      ],
    };
  }

  /** Slack's request: `payload=<JSON>` form-encoded, signed v0 with the signing secret at `timestamp`. */
  signedRequest(
    payload: Record<string, unknown>,
    timestamp = Math.floor(Date.now() / 1000),
    secret = this.#o.signingSecret,
  ) {
    const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const signature = `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
    return {
      body,
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": String(timestamp),
        "x-slack-signature": signature,
      },
    };
  }
}

function ok(body: Record<string, unknown>) {
  return { status: 200, body };
}

/** The Block Kit limits Slack enforces that a message of ours could break. */
function checkBlocks(blocks: unknown): string | null {
  if (!Array.isArray(blocks) || blocks.length === 0 || blocks.length > 50) return "blocks: 1 to 50";
  for (const b of blocks as Block[]) {
    if (!BLOCK_TYPES.has(b.type)) return `unknown block type ${b.type}`;
    const text = b.text as { type: string; text: string } | undefined;
    if (b.type === "header" && (text?.type !== "plain_text" || text.text.length > 150))
      return "header: plain_text up to 150";
    if (b.type === "section") {
      if (text && text.text.length > 3000) return "section text over 3000";
      const fields = b.fields as { text: string }[] | undefined;
      if (fields && (fields.length > 10 || fields.some((f) => f.text.length > 2000))) return "section fields";
      if (!text && !fields) return "section needs text or fields";
    }
    if (b.type === "actions") {
      const elements = b.elements as Record<string, unknown>[];
      if (!Array.isArray(elements) || elements.length > 25) return "actions: up to 25 elements";
      for (const e of elements) {
        if (typeof e.action_id !== "string" || e.action_id.length > 255) return "action_id";
        if (typeof e.value === "string" && e.value.length > 2000) return "button value over 2000";
      }
    }
  }
  return null;
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      text += c;
    });
    req.on("end", () => resolve(text));
  });
}

function retryAfterOf(fail: { status: number; retryAfter?: string }): Record<string, string> {
  return fail.retryAfter === undefined ? {} : { "retry-after": fail.retryAfter };
}
