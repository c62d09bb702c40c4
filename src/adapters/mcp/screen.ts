// What an upstream shows the client besides its results (progress, log messages, other notifications, its
// own requests) passes the screens a result passes: the size cap (mcp.maxResultBytes) and the secrets
// screen (secrets.results: Gate.screenRelayed).
import { McpError, type Result, type ServerNotification } from "@modelcontextprotocol/sdk/types.js";
import { WardenError } from "../../errors.js";
import type { Ledger } from "../../ledger/index.js";
import { RPC } from "./errors.js";

/** Bytes of `value` as JSON. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? "", "utf8");
}

/** A non-tool result over the cap (a listing) is refused as forward.ts refuses a resource read: RESULT_TOO_LARGE. */
export function refuseOversizedResult(result: Result, limit: number): void {
  const size = jsonBytes(result);
  if (size > limit) {
    throw new McpError(
      RPC.internalError,
      `the upstream result is ${size} bytes, more than mcp.maxResultBytes (${limit})`,
      { code: "RESULT_TOO_LARGE", size, limit },
    );
  }
}

export interface RelayScreenDeps {
  /** The secrets screen of the session (`tool`: the call the message belongs to); throws RESULT_WITHHELD. */
  screen: <T>(value: T, tool: string | null) => T;
  ledger: Ledger;
  session: { id: string; agent: string };
  maxBytes: () => number;
  /** An alert that could not be written. */
  onError: (err: unknown) => void;
}

/** One gateway session's screen for what upstreams send the client outside their results. */
export class RelayScreen {
  readonly #deps: RelayScreenDeps;
  /** Alerts already written for dropped messages: one per code and method, so a flood writes one record. */
  readonly #alerted = new Set<string>();

  constructor(deps: RelayScreenDeps) {
    this.#deps = deps;
  }

  /**
   * `params` as the client may see them. Throws RESULT_TOO_LARGE over the cap, RESULT_WITHHELD when
   * they hold a secret under `block`. `tool`: the call they belong to, whose secrets.results rule
   * applies; null for none (the policy-wide rule).
   */
  screened<P>(method: string, params: P, tool: string | null): P {
    if (params === undefined) return params;
    const limit = this.#deps.maxBytes();
    const size = jsonBytes(params);
    if (size > limit) {
      const why = `${method} of ${size} bytes, more than mcp.maxResultBytes (${limit})`;
      throw new WardenError("RESULT_TOO_LARGE", `Warden did not relay a ${why}`, { size, limit });
    }
    try {
      return this.#deps.screen(params, tool);
    } catch {
      const during = tool === null ? "" : ` during tool "${tool}"`;
      throw new WardenError(
        "RESULT_WITHHELD",
        `Warden did not relay a ${method}${during}: it held a secret, or could not be screened`,
      );
    }
  }

  /**
   * The answer to a request forwarded upstream (a resource read, a prompt, a completion, a listing), an
   * upstream's error included, as the client may see it: screened by the policy-wide rule. One that must
   * not pass is reported (dropped()) and becomes a -32603 error with its code (RESULT_WITHHELD).
   */
  async answer(method: string, answer: Promise<Result>): Promise<Result> {
    let result: Result;
    try {
      result = await answer;
    } catch (err) {
      if (!(err instanceof McpError)) throw err;
      const seen =
        err.data === undefined ? { message: err.message } : { message: err.message, data: err.data };
      const shown = this.#passed(method, seen);
      if (JSON.stringify(shown) === JSON.stringify(seen)) throw err;
      const masked = new McpError(err.code, "", (shown as { data?: unknown }).data);
      masked.message = shown.message;
      throw masked;
    }
    return this.#passed(method, result);
  }

  #passed<P>(method: string, value: P): P {
    try {
      return this.screened(method, value, null);
    } catch (err) {
      if (!(err instanceof WardenError)) throw err;
      this.dropped(err, method);
      throw new McpError(RPC.internalError, err.message, { code: err.code });
    }
  }

  /** As screened(), but a message that must not pass is reported (dropped()) and null returned. */
  params<P>(method: string, params: P, tool: string | null): P | null {
    try {
      return this.screened(method, params, tool);
    } catch (err) {
      if (!(err instanceof WardenError)) throw err;
      this.dropped(err, method);
      return null;
    }
  }

  /** Records that a message was not relayed: an `mcp.relay.dropped` alert, the first time per code and method. */
  dropped(err: WardenError, method: string): void {
    const key = `${err.code}\u0000${method}`;
    if (this.#alerted.has(key)) return;
    this.#alerted.add(key);
    const { id, agent } = this.#deps.session;
    void this.#deps.ledger
      .append({
        kind: "alert",
        session: id,
        agent,
        callId: null,
        data: {
          type: "mcp.relay.dropped",
          code: err.code,
          method,
          severity: err.code === "RESULT_WITHHELD" ? "high" : "medium",
          action: "dropped",
          message: `${err.message}; later ones like it in this session are dropped without an alert`,
        },
      })
      .catch(this.#deps.onError);
  }

  /** `extra` with every notification sent through it screened (one dropped is not sent). */
  extra<E extends { sendNotification: (n: ServerNotification) => Promise<void> }>(
    extra: E,
    tool: string | null,
  ): E {
    const send = extra.sendNotification;
    const sendNotification = async (notification: ServerNotification): Promise<void> => {
      const params = this.params(notification.method, notification.params, tool);
      if (params === null) return;
      await send({ ...notification, params } as ServerNotification);
    };
    return { ...extra, sendNotification };
  }
}
