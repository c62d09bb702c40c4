// Reviews each upstream tool definition the gateway sees: pin it, detect changes (rug pulls) and poisoning, record findings.
import type { JsonObject } from "../../json.js";
import type { Ledger } from "../../ledger/index.js";
// The rule file itself, not scan/index.js: the gateway must not load the whole scanner (parsers, tree-sitter).
import { checkToolDefinition, type PoisoningSignal } from "../../scan/rules/tool-poisoning.js";
import { definitionDigest, type PinBook, type ToolDefinition } from "./pins.js";

export type ReviewState = "ok" | "changed" | "poisoned";

export interface Review {
  state: ReviewState;
  digest: string;
  signals: PoisoningSignal[];
}

export interface ReviewContext {
  session: string | null;
  agent: string | null;
}

/** Shared by every session of one gateway, so a definition is pinned and alerted once per process. */
export class ToolReviewer {
  readonly #ledger: Ledger;
  readonly #pins: PinBook;
  readonly #poisoning: "block" | "warn";
  readonly #alerted = new Set<string>();
  readonly #pinning = new Map<string, Promise<unknown>>();

  constructor(ledger: Ledger, pins: PinBook, poisoning: "block" | "warn") {
    this.#ledger = ledger;
    this.#pins = pins;
    this.#poisoning = poisoning;
  }

  get poisoning(): "block" | "warn" {
    return this.#poisoning;
  }

  /** Re-reads pins from the ledger (an approval may have happened in another process). */
  refresh(): Promise<void> {
    return this.#pins.reload();
  }

  /** `otherTools`: tool names of the other upstreams, for the shadowing check. */
  async review(
    server: string,
    tool: ToolDefinition,
    otherTools: readonly string[],
    ctx: ReviewContext,
  ): Promise<Review> {
    const digest = definitionDigest(tool);
    const signals = checkToolDefinition(tool, otherTools);
    const findings = signals.map((s) => ({ kind: s.kind, excerpt: s.excerpt }));
    const pinKey = `${server}\u0000${tool.name}`;
    let pin = this.#pins.get(server, tool.name);
    if (pin === undefined) {
      // Two sessions seeing a new tool at once write one pin record, not two.
      const pending = this.#pinning.get(pinKey);
      if (pending) await pending;
      pin = this.#pins.get(server, tool.name);
      if (pin === undefined) {
        const writing = this.#pins.pin(this.#ledger, {
          server,
          tool: tool.name,
          digest,
          action: "pin",
          extra: { findings },
        });
        this.#pinning.set(pinKey, writing);
        try {
          pin = await writing;
        } finally {
          this.#pinning.delete(pinKey);
        }
      }
    }
    if (signals.length > 0) {
      await this.#alertOnce(`poison\u0000${pinKey}\u0000${digest}`, ctx, {
        type: "mcp.tool.poisoning",
        server,
        tool: tool.name,
        digest,
        mode: this.#poisoning,
        findings,
      });
    }
    if (pin.digest !== digest) {
      await this.#alertOnce(`changed\u0000${pinKey}\u0000${digest}`, ctx, {
        type: "mcp.tool.changed",
        server,
        tool: tool.name,
        pinned: pin.digest,
        seen: digest,
      });
      return { state: "changed", digest, signals };
    }
    const approved = pin.action === "approve";
    if (signals.length > 0 && this.#poisoning === "block" && !approved)
      return { state: "poisoned", digest, signals };
    return { state: "ok", digest, signals };
  }

  async #alertOnce(key: string, ctx: ReviewContext, data: JsonObject): Promise<void> {
    if (this.#alerted.has(key)) return;
    this.#alerted.add(key);
    try {
      await this.#ledger.append({
        kind: "alert",
        session: ctx.session,
        agent: ctx.agent,
        callId: null,
        data,
      });
    } catch (err) {
      this.#alerted.delete(key);
      throw err;
    }
  }
}
