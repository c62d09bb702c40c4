// Over Streamable HTTP, what the gateway sends a client outside any request of its (an upstream's
// notifications, its own requests: roots, sampling) can only travel on the client's standalone GET
// stream. Before the client has opened one, the SDK's transport writes such a message to no stream (it
// keeps it only for a client resuming that stream, which one that never had it cannot do), and an
// upstream's first messages come just then: the gateway passes them on the moment the client's
// `initialized` arrives, before its GET. So they are held until the client first opens its GET stream;
// after that, what a dropped stream misses is kept by the event store for the client to resume.
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

/** Messages held for a client without a GET stream yet; later ones are dropped, as the SDK drops them all. */
export const MAX_HELD = 1_000;

const forStandalone = (message: JSONRPCMessage, options: TransportSendOptions | undefined): boolean =>
  options?.relatedRequestId === undefined && "method" in message;

/**
 * Wraps `transport.send`: a message for the standalone stream waits until `opened()` says the client
 * has opened its GET stream, then goes out in order. Everything else passes straight through.
 */
export class StandaloneStream {
  readonly #send: Transport["send"];
  #open = false;
  #held: [JSONRPCMessage, TransportSendOptions | undefined][] = [];
  #flushing = false;

  constructor(transport: Transport) {
    this.#send = transport.send.bind(transport);
    transport.send = (message, options) => this.#route(message, options);
  }

  /** The client's GET stream is open: what was held goes out on it. */
  opened(): void {
    if (this.#open) return;
    this.#open = true;
    this.#flushing = true;
    void this.#flush();
  }

  #route(message: JSONRPCMessage, options: TransportSendOptions | undefined): Promise<void> {
    if (!forStandalone(message, options)) return this.#send(message, options);
    // Behind what is still held, so the client reads them in the order they were sent.
    if (this.#open && !this.#flushing) return this.#send(message, options);
    if (this.#held.length < MAX_HELD) this.#held.push([message, options]);
    return Promise.resolve();
  }

  async #flush(): Promise<void> {
    for (let next = this.#held.shift(); next !== undefined; next = this.#held.shift()) {
      await this.#send(next[0], next[1]).catch(() => undefined);
    }
    // In the same turn as the last shift: nothing can be held after it and left behind.
    this.#flushing = false;
  }
}
