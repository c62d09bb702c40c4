// A transport wrapper that holds a downstream session's messages until its initialize request has been prepared for.
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, JSONRPCRequest, MessageExtraInfo } from "@modelcontextprotocol/sdk/types.js";
import { RPC } from "./errors.js";

type Prepare = (request: JSONRPCRequest, extra: MessageExtraInfo | undefined) => Promise<void>;

const isRequest = (m: JSONRPCMessage): m is JSONRPCRequest => "method" in m && "id" in m;

/**
 * The gateway can only answer `initialize` once it knows the client's capabilities (to mirror them
 * upstream) and has connected its upstreams (to merge theirs). So the first initialize request runs
 * `prepare`, which connects a Server to this wrapper; then the held messages are delivered to it.
 * Requests before initialize get "not initialized" (ping gets its empty answer); notifications are dropped.
 */
export class InitGate implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined;

  readonly #inner: Transport;
  readonly #prepare: Prepare;
  readonly #onEarlyClose: () => void;
  #state: "waiting" | "preparing" | "ready" | "closed" = "waiting";
  #held: [JSONRPCMessage, MessageExtraInfo | undefined][] = [];
  #listening = false;

  constructor(inner: Transport, prepare: Prepare, onEarlyClose: () => void) {
    this.#inner = inner;
    this.#prepare = prepare;
    this.#onEarlyClose = onEarlyClose;
  }

  get sessionId(): string | undefined {
    return this.#inner.sessionId;
  }

  /** The connection has ended (possibly while its session was still being prepared). */
  get closed(): boolean {
    return this.#state === "closed";
  }

  readonly setProtocolVersion = (version: string): void => this.#inner.setProtocolVersion?.(version);

  /** Starts the inner transport and begins holding messages. */
  async listen(): Promise<void> {
    if (this.#listening) return;
    this.#listening = true;
    this.#inner.onmessage = (message, extra) => this.#receive(message, extra);
    this.#inner.onerror = (error) => this.onerror?.(error);
    this.#inner.onclose = () => {
      const wasReady = this.#state === "ready";
      this.#state = "closed";
      if (wasReady) this.onclose?.();
      else this.#onEarlyClose();
    };
    await this.#inner.start();
  }

  /** Called by Protocol.connect; the inner transport is already running. */
  async start(): Promise<void> {
    await this.listen();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.#inner.send(message, options);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  #receive(message: JSONRPCMessage, extra: MessageExtraInfo | undefined): void {
    if (this.#state === "ready") {
      this.onmessage?.(message, extra);
      return;
    }
    if (this.#state === "preparing") {
      this.#held.push([message, extra]);
      return;
    }
    if (this.#state === "closed") return;
    if (!isRequest(message)) return;
    if (message.method === "ping") {
      void this.#inner.send({ jsonrpc: "2.0", id: message.id, result: {} }).catch(() => undefined);
      return;
    }
    if (message.method !== "initialize") {
      const error = {
        code: RPC.notInitialized,
        message: "the session is not initialized: send initialize first",
      };
      void this.#inner.send({ jsonrpc: "2.0", id: message.id, error }).catch(() => undefined);
      return;
    }
    this.#state = "preparing";
    this.#held.push([message, extra]);
    this.#prepare(message, extra).then(
      () => {
        // The client left while the session was being prepared: whoever prepared it closes it.
        if (this.#state !== "preparing") return;
        this.#state = "ready";
        const held = this.#held;
        this.#held = [];
        for (const [m, e] of held) this.onmessage?.(m, e);
      },
      (err: unknown) => {
        this.#held = [];
        this.#state = "closed";
        const text = err instanceof Error ? err.message : String(err);
        const code = (err as { code?: unknown }).code;
        const error = {
          code: RPC.internalError,
          message: text,
          data: typeof code === "string" ? { code } : undefined,
        };
        void this.#inner
          .send({ jsonrpc: "2.0", id: message.id, error })
          .catch(() => undefined)
          .finally(() => setTimeout(() => void this.#inner.close().catch(() => undefined), 50));
      },
    );
  }
}
