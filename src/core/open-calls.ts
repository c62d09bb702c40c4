// Allowed calls waiting for their outcome, outcomes being written right now, and caller-chosen ids being
// claimed right now.
import { canonicalJson, canonicalJsonOf } from "../digest.js";
import type { JsonValue } from "../json.js";
import type { ToolRunner } from "./request.js";

export interface OpenCall {
  session: string;
  agent: string;
  tool: string;
  traceparent: string | null;
  /** Who runs it, so who writes its outcome: the run itself, or the caller that reports it. */
  runner: ToolRunner;
  /**
   * For a call `check()` allowed: the decided arguments (the gate's own copy), which `runChecked` must
   * run with. Compared only then, so deciding costs nothing more.
   */
  decidedArgs?: JsonValue;
  startedAt: number;
}

/** Bounded: a caller that never reports outcomes must not grow memory without end. */
const MAX_OPEN = 10_000;

export class OpenCalls {
  readonly #calls = new Map<string, OpenCall>();
  readonly #claiming = new Set<string>();
  /** Calls whose outcome is being written: a second report meanwhile would find none in the ledger yet. */
  readonly #recording = new Set<string>();
  /** Decisions `runChecked` is running now: a decision runs once, so a second run of it meanwhile is refused. */
  readonly #runningChecked = new Set<string>();

  reserve(callId: string): boolean {
    if (this.#claiming.has(callId) || this.#calls.has(callId)) return false;
    this.#claiming.add(callId);
    return true;
  }

  release(callId: string): void {
    this.#claiming.delete(callId);
  }

  add(callId: string, call: Omit<OpenCall, "startedAt">): void {
    // When full, the call is simply not cached: its outcome falls back to the ledger lookup.
    if (this.#calls.size >= MAX_OPEN) return;
    this.#calls.set(callId, { ...call, startedAt: Date.now() });
  }

  /**
   * Starts writing `callId`'s outcome: false while another write of it is under way (its record is not
   * in the ledger yet). Every `beginOutcome` that returns true is followed by one `endOutcome`.
   */
  beginOutcome(callId: string): boolean {
    if (this.#recording.has(callId)) return false;
    this.#recording.add(callId);
    return true;
  }

  endOutcome(callId: string): void {
    this.#recording.delete(callId);
  }

  /** The call, left open. */
  get(callId: string): OpenCall | undefined {
    return this.#calls.get(callId);
  }

  /** Starts a `runChecked` of `callId`: false while another one of it is under way. */
  beginChecked(callId: string): boolean {
    if (this.#runningChecked.has(callId)) return false;
    this.#runningChecked.add(callId);
    return true;
  }

  endChecked(callId: string): void {
    this.#runningChecked.delete(callId);
  }

  /**
   * Takes a call `check()` allowed for `runChecked` (it runs here from now on), or says why not: `"not-open"` (it ran, its outcome was reported or is being written, or this
   * process did not decide it), `"other-args"` (`args` are not the decided arguments, in RFC 8785 form).
   */
  claimChecked(callId: string, args: unknown): "claimed" | "not-open" | "other-args" {
    const call = this.#calls.get(callId);
    if (call?.runner !== "caller" || this.#recording.has(callId)) return "not-open";
    if (call.decidedArgs === undefined || canonicalJsonOf(args) !== canonicalJson(call.decidedArgs)) {
      return "other-args";
    }
    this.#calls.set(callId, { ...call, runner: "here" });
    return "claimed";
  }

  /** A call `check()` allowed is now run by Warden (`runChecked`): its outcome comes from that run. */
  runHere(callId: string): void {
    const call = this.#calls.get(callId);
    if (call?.runner === "caller") this.#calls.set(callId, { ...call, runner: "here" });
  }

  take(callId: string): OpenCall | undefined {
    const call = this.#calls.get(callId);
    if (call) this.#calls.delete(callId);
    return call;
  }

  restore(callId: string, call: OpenCall): void {
    this.#calls.set(callId, call);
  }
}
