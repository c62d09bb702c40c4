// The gateway's requests to an upstream, sent on its transport without the SDK client's per-request
// machinery (schema parsing, handler maps, timers shared with its own requests). Each forwarded call
// paid that on its path; what it did that matters is kept here: ids, progress, timeout, cancellation.
import {
  DEFAULT_REQUEST_TIMEOUT_MSEC,
  type RequestOptions,
} from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  type JSONRPCMessage,
  McpError,
  type Progress,
  type Result,
} from "@modelcontextprotocol/sdk/types.js";
import { RPC } from "./errors.js";

/**
 * Ids of direct requests start here: far above the few the SDK client numbers itself (initialize, its
 * pings), and still a 32-bit integer, which every server's id type holds.
 */
const FIRST_ID = 1_000_000_000;

export type DirectOptions = Pick<
  RequestOptions,
  "signal" | "timeout" | "resetTimeoutOnProgress" | "onprogress"
>;

interface Pending {
  resolve: (result: Result) => void;
  reject: (err: unknown) => void;
  onprogress: ((progress: Progress) => void) | undefined;
  /** Restarts the timeout (resetTimeoutOnProgress), or undefined. */
  progressed: (() => void) | undefined;
}

export class DirectRequests {
  readonly #transport: Transport;
  readonly #pending = new Map<number, Pending>();
  #next = FIRST_ID;
  #closed = false;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Takes a message meant for one of these requests (its response, or progress under its token) before
   * the SDK client sees it; false for everything else. Called in arrival order, so a progress read in
   * the same chunk as its result is handled before the result.
   */
  claim(message: JSONRPCMessage): boolean {
    if ("method" in message) {
      if (message.method !== "notifications/progress") return false;
      const params = message.params as (Progress & { progressToken?: unknown }) | undefined;
      const pending = this.#pendingFor(params?.progressToken);
      if (pending === undefined || params === undefined) return false;
      const { progressToken: _token, ...progress } = params;
      pending.progressed?.();
      pending.onprogress?.(progress);
      return true;
    }
    if (!("id" in message)) return false;
    const id = Number(message.id);
    const pending = this.#pendingFor(id);
    if (pending === undefined) return false;
    this.#pending.delete(id);
    if ("error" in message) {
      const { code, message: text, data } = message.error;
      pending.reject(new McpError(code, text, data));
    } else if ("result" in message) {
      const { result } = message;
      if (typeof result === "object" && result !== null && !Array.isArray(result)) pending.resolve(result);
      // Not an RPC error the upstream sent: a broken answer (the call's outcome reads UPSTREAM_ERROR).
      else pending.reject(new Error("the upstream's result is not an object"));
    }
    return true;
  }

  /** Sends `method` and resolves with the upstream's result as it sent it (no schema narrowing). */
  request(
    method: string,
    params: Record<string, unknown> | undefined,
    options: DirectOptions,
  ): Promise<Result> {
    const { signal, onprogress } = options;
    if (this.#closed) return Promise.reject(new McpError(RPC.connectionClosed, "Connection closed"));
    try {
      signal?.throwIfAborted();
    } catch (err) {
      return Promise.reject(err);
    }
    const id = this.#next++;
    const sent =
      onprogress === undefined
        ? params
        : { ...params, _meta: { ...(params?._meta as object | undefined), progressToken: id } };
    const timeout = options.timeout ?? DEFAULT_REQUEST_TIMEOUT_MSEC;
    return new Promise<Result>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#pending.delete(id);
      };
      // As the SDK does: the upstream hears of the cancellation, and the caller gets an McpError.
      const cancel = (reason: unknown) => {
        if (!this.#pending.has(id)) return;
        settle();
        this.#transport
          .send({
            jsonrpc: "2.0",
            method: "notifications/cancelled",
            params: { requestId: id, reason: String(reason) },
          })
          .catch(() => undefined);
        reject(reason instanceof McpError ? reason : new McpError(RPC.requestTimeout, String(reason)));
      };
      const onAbort = () => cancel(signal?.reason);
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(
          () => cancel(new McpError(RPC.requestTimeout, "Request timed out", { timeout })),
          timeout,
        );
      };
      this.#pending.set(id, {
        resolve: (result) => {
          settle();
          resolve(result);
        },
        reject: (err) => {
          settle();
          reject(err);
        },
        onprogress,
        progressed: options.resetTimeoutOnProgress === true ? arm : undefined,
      });
      signal?.addEventListener("abort", onAbort, { once: true });
      arm();
      this.#transport
        .send({ jsonrpc: "2.0", id, method, ...(sent === undefined ? {} : { params: sent }) })
        .catch((err: unknown) => {
          if (!this.#pending.has(id)) return;
          settle();
          reject(err);
        });
    });
  }

  /** The connection ended: every request still waiting fails as the SDK's would (ConnectionClosed). */
  close(): void {
    this.#closed = true;
    const pending = [...this.#pending.values()];
    for (const p of pending) p.reject(new McpError(RPC.connectionClosed, "Connection closed"));
  }

  #pendingFor(token: unknown): Pending | undefined {
    return typeof token === "number" || typeof token === "string"
      ? this.#pending.get(Number(token))
      : undefined;
  }
}
