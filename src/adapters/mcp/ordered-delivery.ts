// Makes a client transport hand over a response only after the notifications received before it were handled.
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, MessageExtraInfo } from "@modelcontextprotocol/sdk/types.js";

type OnMessage = NonNullable<Transport["onmessage"]>;

const isResponse = (m: JSONRPCMessage): boolean => "id" in m && ("result" in m || "error" in m);

/**
 * `claim`, when given, sees every message first, in arrival order, and keeps those it returns true for
 * (the gateway's direct requests: direct-requests.ts).
 *
 * The SDK's Protocol runs a notification's handler one microtask after receiving it, but handles a
 * response at once, removing the request's progress handler. When a server's last progress notification
 * and its result arrive in the same chunk (common over stdio), that progress is dropped as "unknown
 * token". Delivering each response one microtask later puts it behind the handlers already queued, and
 * keeps the order in which messages arrived. Patched in place, so the transport keeps its own methods
 * (terminateSession, pid).
 */
export function orderedDelivery<T extends Transport>(
  transport: T,
  claim?: (message: JSONRPCMessage) => boolean,
): T {
  let handler: OnMessage | undefined;
  const deliver = <M extends JSONRPCMessage>(message: M, extra?: MessageExtraInfo): void => {
    if (claim?.(message) === true) return;
    const to = handler;
    if (to === undefined) return;
    if (isResponse(message)) queueMicrotask(() => to(message, extra));
    else to(message, extra);
  };
  Object.defineProperty(transport, "onmessage", {
    configurable: true,
    enumerable: true,
    get: () => (handler === undefined ? undefined : deliver),
    set: (fn: OnMessage | undefined) => {
      handler = fn;
    },
  });
  return transport;
}
