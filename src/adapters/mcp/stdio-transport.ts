// The downstream stdio transport: newline-delimited JSON-RPC with a size limit, answering bad input instead of dropping it.
import type { Readable, Writable } from "node:stream";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import { RPC } from "./errors.js";

/**
 * Like the SDK's StdioServerTransport, but a line that is not JSON gets a -32700 answer, JSON that is
 * not JSON-RPC gets -32600 (with its id when it has one), and a line over `maxMessageBytes` is
 * discarded with -32600 instead of growing the buffer without bound.
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

  send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const line = `${JSON.stringify(message)}\n`;
    return new Promise((resolve) => {
      if (this.#output.write(line)) resolve();
      else this.#output.once("drain", resolve);
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
      this.#reply(idOf(value), RPC.invalidRequest, "invalid request: not a JSON-RPC 2.0 message");
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

function idOf(value: unknown): string | number | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const id = (value as { id?: unknown }).id;
  return typeof id === "string" || (typeof id === "number" && Number.isFinite(id)) ? id : null;
}
