// Reviews everything an upstream shows the client (tools, prompts, resources, templates, instructions): pin it,
// detect changes (rug pulls) and poisoning, record findings as alerts.
import { type JsonObject, jsonDepthExceeds, MAX_JSON_DEPTH } from "../../json.js";
import type { Ledger } from "../../ledger/index.js";
// The rule file itself, not scan/index.js: the gateway must not load the whole scanner (parsers, tree-sitter).
import {
  checkDefinition,
  checkToolDefinition,
  type PoisoningSignal,
  type ToolDefinitionText,
} from "../../tool-poisoning.js";
import {
  describeSubject,
  legacyToolDigest,
  PIN_SCHEME,
  type Pin,
  type PinBook,
  type PinSubject,
  pinDigest,
  pinKey,
  pinnedFields,
  type ToolDefinition,
} from "./pins.js";

export type ReviewState = "ok" | "changed" | "poisoned";

/** What a scheme-1 pin covered (see legacyToolDigest). */
const LEGACY_FIELDS = ["name", "description", "inputSchema"] as const;

export interface Review {
  state: ReviewState;
  digest: string;
  signals: PoisoningSignal[];
}

export interface ReviewContext {
  session: string | null;
  agent: string | null;
}

/**
 * Ledger records (first-sight pins and alerts) one upstream server may cause in one gateway process. An
 * upstream showing new names or definitions on every listing would otherwise fill the ledger's disk
 * until every call fails closed; past it, what it shows anew is hidden, with one alert.
 */
export const MAX_REVIEW_RECORDS_PER_SERVER = 1_000;

/** Thrown inside a review when the server's budget is spent. */
class OverBudget extends Error {}

/** Shared by every session of one gateway, so a definition is pinned and alerted once per process. */
export class ToolReviewer {
  readonly #ledger: Ledger;
  readonly #pins: PinBook;
  readonly #poisoning: "block" | "warn";
  readonly #alerted = new Set<string>();
  /** Records written per server (see MAX_REVIEW_RECORDS_PER_SERVER). */
  readonly #written = new Map<string, number>();
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

  /** A tool; `otherTools`: tool names of the other upstreams, for the shadowing check. */
  review(
    server: string,
    tool: ToolDefinition & Record<string, unknown>,
    otherTools: readonly string[],
    ctx: ReviewContext,
  ): Promise<Review> {
    return this.#review(
      { server, item: "tool", name: tool.name },
      tool as JsonObject,
      ctx,
      checkToolDefinition(tool, otherTools),
      otherTools,
    );
  }

  /** Any subject: pins it on first sight, compares it with its pin, checks every text it shows. */
  reviewItem(
    subject: PinSubject,
    definition: JsonObject,
    ctx: ReviewContext,
    signals: PoisoningSignal[] = checkDefinition(pinnedFields(subject.item, definition)),
  ): Promise<Review> {
    return this.#review(subject, definition, ctx, signals, []);
  }

  async #review(
    subject: PinSubject,
    definition: JsonObject,
    ctx: ReviewContext,
    signals: PoisoningSignal[],
    otherTools: readonly string[],
  ): Promise<Review> {
    const fields = pinnedFields(subject.item, definition);
    try {
      // The pin record holds the definition one level down: deeper, the ledger cannot hold it.
      if (jsonDepthExceeds(fields, MAX_JSON_DEPTH - 1)) return await this.#tooDeep(subject, ctx);
      const digest = pinDigest(subject.item, definition);
      const findings = signals.map((s) => ({ kind: s.kind, excerpt: s.excerpt }));
      return await this.#compare(subject, definition, fields, digest, findings, signals, otherTools, ctx);
    } catch (err) {
      if (err instanceof OverBudget) return this.#overBudget(subject, ctx);
      throw err;
    }
  }

  async #compare(
    subject: PinSubject,
    definition: JsonObject,
    fields: JsonObject,
    digest: string,
    findings: JsonObject[],
    signals: PoisoningSignal[],
    otherTools: readonly string[],
    ctx: ReviewContext,
  ): Promise<Review> {
    const key = pinKey(subject);
    const pin = await this.#pinFor(subject, definition, fields, digest, findings, otherTools);
    if (signals.length > 0) {
      const blocking = this.#poisoning === "block";
      await this.#alertOnce(`poison\u0000${key}\u0000${digest}`, ctx, {
        type: "mcp.tool.poisoning",
        ...subjectData(subject),
        digest,
        scheme: PIN_SCHEME,
        mode: this.#poisoning,
        severity: blocking ? "high" : "medium",
        action: blocking ? "hidden" : "warned",
        message: `${describeSubject(subject)} looks like prompt injection (${findings.map((f) => f.kind).join(", ")})${blocking ? "; hidden until warden mcp approve" : ""}`,
        findings,
        definition: fields,
      });
    }
    let review: Review;
    if (pin.digest !== digest) {
      await this.#alertOnce(`changed\u0000${key}\u0000${digest}`, ctx, {
        type: "mcp.tool.changed",
        ...subjectData(subject),
        pinned: pin.digest,
        seen: digest,
        scheme: PIN_SCHEME,
        severity: "high",
        action: "hidden",
        message: `${describeSubject(subject)} changed since it was pinned; hidden until warden mcp approve`,
        definition: fields,
      });
      review = { state: "changed", digest, signals };
    } else {
      const approved = pin.action === "approve";
      review =
        signals.length > 0 && this.#poisoning === "block" && !approved
          ? { state: "poisoned", digest, signals }
          : { state: "ok", digest, signals };
    }
    return review;
  }

  /** The pin to compare with: written on first sight, and a scheme-1 pin that still matches rewritten. */
  async #pinFor(
    subject: PinSubject,
    definition: JsonObject,
    fields: JsonObject,
    digest: string,
    findings: JsonObject[],
    otherTools: readonly string[],
  ): Promise<Pin> {
    const key = pinKey(subject);
    // Two sessions seeing a new subject at once write one pin record, not two.
    const pending = this.#pinning.get(key);
    if (pending) await pending.catch(() => undefined);
    const pin = this.#pins.get(subject);
    if (pin !== undefined && pin.scheme === PIN_SCHEME) return pin;
    // A pin from before every field was pinned covers a tool's name, description and input schema:
    // when those still match, the rest is taken as it is now, as on first sight. Otherwise it changed.
    if (pin !== undefined && legacyToolDigest(definition as unknown as ToolDefinition) !== pin.digest)
      return pin;
    // That approval saw only those three fields: it carries over only if the others show nothing,
    // else the whole definition needs review (approve --force), as on first sight.
    const approved =
      pin?.action === "approve" &&
      checkToolDefinition(definition as unknown as ToolDefinitionText, otherTools, LEGACY_FIELDS).length ===
        0;
    this.#spend(subject.server);
    const writing = this.#pins.pin(this.#ledger, {
      ...subject,
      digest,
      action: approved ? "approve" : "pin",
      scheme: PIN_SCHEME,
      definition: fields,
      extra:
        pin === undefined ? { findings } : { findings, migratedFrom: pin.digest, migratedAction: pin.action },
    });
    this.#pinning.set(key, writing);
    try {
      return await writing;
    } finally {
      this.#pinning.delete(key);
    }
  }

  /**
   * A definition nested too deep to pin or screen whole: hidden whatever `poisoning` says (a change to
   * it could never be seen), with an alert that names it but cannot hold it.
   */
  #tooDeep(subject: PinSubject, ctx: ReviewContext): Promise<Review> {
    const excerpt = `nested deeper than ${MAX_JSON_DEPTH - 1} levels`;
    return this.#hidden(subject, ctx, `deep\u0000${pinKey(subject)}`, {
      kind: "too-large-to-screen",
      excerpt,
      message: `${describeSubject(subject)} is ${excerpt}: it cannot be pinned or screened, so it is hidden`,
    });
  }

  /** Counts one record against `server`'s budget; throws OverBudget once it is spent. */
  #spend(server: string): void {
    const written = this.#written.get(server) ?? 0;
    if (written >= MAX_REVIEW_RECORDS_PER_SERVER) throw new OverBudget();
    this.#written.set(server, written + 1);
  }

  /**
   * A server past its budget: what it shows anew is hidden whatever `poisoning` says, and one alert
   * (outside the budget) says so.
   */
  #overBudget(subject: PinSubject, ctx: ReviewContext): Promise<Review> {
    const what = `more than ${MAX_REVIEW_RECORDS_PER_SERVER} new or changed definitions`;
    return this.#hidden(
      subject,
      ctx,
      `flood\u0000${subject.server}`,
      {
        kind: "too-many-definitions",
        excerpt: `${what} from server ${subject.server}`,
        message: `server ${subject.server} showed ${what}; what it shows anew is hidden until the gateway restarts`,
      },
      false,
    );
  }

  /** Hidden whatever `poisoning` says, for a reason no poisoning rule gives; alerted once per `key`. */
  async #hidden(
    subject: PinSubject,
    ctx: ReviewContext,
    key: string,
    why: { kind: PoisoningSignal["kind"]; excerpt: string; message: string },
    budgeted = true,
  ): Promise<Review> {
    const data: JsonObject = {
      type: "mcp.tool.poisoning",
      ...subjectData(subject),
      scheme: PIN_SCHEME,
      mode: this.#poisoning,
      severity: "high",
      action: "hidden",
      message: why.message,
      findings: [{ kind: why.kind, excerpt: why.excerpt }],
    };
    await this.#alertOnce(key, ctx, data, budgeted);
    return { state: "poisoned", digest: "", signals: [{ kind: why.kind, index: 0, excerpt: why.excerpt }] };
  }

  /** Appends the alert once per key; `budgeted`: it counts against the subject's server. */
  async #alertOnce(key: string, ctx: ReviewContext, data: JsonObject, budgeted = true): Promise<void> {
    if (this.#alerted.has(key)) return;
    if (budgeted && typeof data.server === "string") this.#spend(data.server);
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

function subjectData(s: PinSubject): JsonObject {
  return { server: s.server, item: s.item, name: s.name, ...(s.item === "tool" ? { tool: s.name } : {}) };
}
