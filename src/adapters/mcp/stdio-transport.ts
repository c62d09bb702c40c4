// The downstream stdio transport: newline-delimited JSON-RPC with a size limit, answering bad input instead of dropping it.
import type { Readable, Writable } from "node:stream";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import { inexactInteger } from "../../json.js";
import { INEXACT_INTEGER_MESSAGE, idOf, NOT_A_MESSAGE, RPC } from "./errors.js";

/** How long a response waits for the client's answer to the ping that follows notifications. */
const SYNC_TIMEOUT_MS = 1_000;

/**
 * Like the SDK's StdioServerTransport, but a line that is not JSON gets a -32700 answer, JSON that is
 * not JSON-RPC gets -32600 (with its id when it has one), and a line over `maxMessageBytes` is
 * discarded with -32600 instead of growing the buffer without bound.
 *
 * A response never shares a read with the notifications sent before it. An MCP SDK client handles a
 * notification one microtask after reading it but a response at once, removing the request's progress
 * handler: a last progress read in the same chunk as its result is dropped as "unknown token". So once
 * notifications were written, a response waits until the client has answered a `ping` sent after them
 * (its handlers run in order, so by then it has handled them). A client that does not answer within
 * SYNC_TIMEOUT_MS is not asked again.
 */
export class StdioDownstream implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: ((message: JSONRPCMessage) => void) | undefined;

  readonly #input: Readable;
  readonly #output: Writable;
  readonly #max: number;
  #chunks: Buffer[] = [];
  #size = 0;
  #skipping = false;
  #closed = false;
  /** Notifications written, and how many of them the client is known to have handled (a ping came back). */
  #notified = 0;
  #handled = 0;
  #sync: Promise<void> | null = null;
  #pings = 0;
  readonly #waiting = new Map<string, () => void>();
  #clientPings = true;

  constructor(input: Readable, output: Writable, maxMessageBytes: number) {
    this.#input = input;
    this.#output = output;
    this.#max = maxMessageBytes;
  }

  async start(): Promise<void> {
    this.#input.on("data", this.#onData);
    this.#input.on("end", this.#onEnd);
    this.#input.on("error", this.#onStreamError);
    this.#output.on("error", this.#onStreamError);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return;
    if (!("id" in message)) this.#notified++;
    else if (("result" in message || "error" in message) && this.#handled < this.#notified)
      await this.#clientHandled(this.#notified);
    if (this.#closed) return;
    const line = `${JSON.stringify(message)}\n`;
    await new Promise<void>((resolve) => {
      if (this.#output.write(line)) resolve();
      else this.#output.once("drain", resolve);
    });
  }

  /** Resolves once the client has handled the first `count` notifications (or cannot be asked). */
  async #clientHandled(count: number): Promise<void> {
    while (this.#handled < count && this.#clientPings && !this.#closed) {
      this.#sync ??= this.#ping().finally(() => {
        this.#sync = null;
      });
      await this.#sync;
    }
  }

  #ping(): Promise<void> {
    const covers = this.#notified;
    const id = `warden-sync-${++this.#pings}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#clientPings = false;
        done();
      }, SYNC_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        this.#waiting.delete(id);
        this.#handled = Math.max(this.#handled, covers);
        resolve();
      };
      this.#waiting.set(id, done);
      this.#output.write(`${JSON.stringify({ jsonrpc: "2.0", id, method: "ping" })}\n`);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#input.off("data", this.#onData);
    this.#input.off("end", this.#onEnd);
    this.#input.off("error", this.#onStreamError);
    this.#output.off("error", this.#onStreamError);
    this.#input.pause();
    for (const done of [...this.#waiting.values()]) done();
    this.onclose?.();
  }

  readonly #onEnd = () => void this.close();

  readonly #onStreamError = (err: Error) => {
    this.onerror?.(err);
    void this.close();
  };

  readonly #onData = (chunk: Buffer) => {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.#take(chunk.subarray(start, nl));
      this.#line();
      start = nl + 1;
    }
    if (start < chunk.length) this.#take(chunk.subarray(start));
  };

  #take(part: Buffer): void {
    if (this.#skipping) return;
    if (this.#size + part.length > this.#max) {
      this.#chunks = [];
      this.#size = 0;
      this.#skipping = true;
      return;
    }
    this.#chunks.push(part);
    this.#size += part.length;
  }

  #line(): void {
    if (this.#skipping) {
      this.#skipping = false;
      this.#reply(null, RPC.invalidRequest, `message larger than ${this.#max} bytes`);
      return;
    }
    const text =
      (this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks))?.toString("utf8") ?? "";
    this.#chunks = [];
    this.#size = 0;
    const trimmed = text.endsWith("\r") ? text.slice(0, -1) : text;
    if (trimmed.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      this.#reply(null, RPC.parseError, "parse error: the line is not JSON");
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(value);
    if (!parsed.success) {
      // A response to nothing or a malformed notification gets no answer; a request-shaped line does.
      this.#reply(idOf(value), RPC.invalidRequest, NOT_A_MESSAGE);
      return;
    }
    if ("method" in parsed.data && "id" in parsed.data && inexactInteger(trimmed) !== null) {
      this.#reply(parsed.data.id, RPC.invalidParams, INEXACT_INTEGER_MESSAGE);
      return;
    }
    const answered = "id" in parsed.data ? this.#waiting.get(String(parsed.data.id)) : undefined;
    if (answered !== undefined && !("method" in parsed.data)) {
      answered(); // the answer to the gateway's own ping: not the session's business
      return;
    }
    try {
      this.onmessage?.(parsed.data);
    } catch (err) {
      this.onerror?.(err instanceof Error ? err : new Error(String(err)));
    }
  }

  #reply(id: string | number | null, code: number, message: string): void {
    // JSON-RPC answers a message it cannot read with id null; the SDK's type wants an id, so write it by hand.
    if (this.#closed) return;
    this.#output.write(`${JSON.stringify({ jsonrpc: "2.0", id, error: { code, message } })}\n`);
  }
}
