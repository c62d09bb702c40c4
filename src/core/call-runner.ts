// Everything after the decision, for every entry point: wait for the approval and check its digest,
// lease secrets, run, screen the result or error, write the outcome record exactly once, and stop the
// call when its session ends. Entry points only choose how a refusal looks.
import {
  LedgerUnavailableError,
  OutcomeUnrecordedError,
  SessionEndedError,
  type WardenError,
} from "../errors.js";
import type { SessionInfo } from "../identity/index.js";
import type { AppendOptions } from "../ledger/index.js";
import type { Injections } from "../secrets/index.js";
import type { Execution } from "./execute.js";
import type { GateDecision, Outcome, ToolRunner } from "./request.js";

/** What the body of a call gets: its decision, the secrets leased for it, and a signal that ends it. */
export interface RunContext {
  decision: GateDecision;
  injections: Injections;
  /** Aborted when the caller gives up or the session ends (anywhere): stop work and return. */
  signal: AbortSignal;
}

/** How one decided call runs. */
export interface RunPlan<R> {
  tool: string;
  /** The arguments about to run: a pending approval binds to exactly these (else APPROVAL_MISMATCH). */
  args: unknown;
  traceparent?: string | null | undefined;
  /** The caller's own cancellation (a client that left, a framework's abort). */
  signal?: AbortSignal | undefined;
  /** Called while the call waits for people; returns a function that stops the notices. */
  onWaiting?: ((decision: GateDecision) => () => void) | undefined;
  body: (run: RunContext) => Promise<R>;
  /**
   * The body stops by itself when its session ends and then fails with its own error (a sandboxed
   * command: the containment kills it, and a violation that ended the session reads SANDBOX_VIOLATION,
   * not SESSION_ENDED). The runner then waits for the body instead of dropping it at once.
   */
  stopsWithSession?: true | undefined;
  /** What the outcome record says of a result (default: ok). An MCP `isError` result is a tool error. */
  outcomeOf?: ((result: R) => Outcome) | undefined;
  /** What the outcome record says of an error the body threw (default: the error's own code). */
  failureOf?: ((err: unknown) => unknown) | undefined;
  /**
   * Hands the outcome write to the caller (the MCP gateway starts it once the result is on its way)
   * instead of awaiting it here; the record then joins the next append's commit (the next call's
   * intent) rather than paying an fsync of its own. Its failure is then the caller's to report.
   */
  deferOutcome?: ((write: () => Promise<void>) => void) | undefined;
}

/** A wait for a call's approval: bound to `args`, ended by `signal`, then open for `runner`'s outcome. */
export interface ApprovalWait {
  args: unknown;
  traceparent?: string | null | undefined;
  signal?: AbortSignal | undefined;
  /** Who writes the outcome once allowed: the run here, or the program that checked the call. */
  runner: Extract<ToolRunner, "here" | "caller">;
}

export interface CallRunnerDeps {
  execution: Execution;
  /** Waits for a pending approval; resolves with the allowed decision or throws the refusal. */
  awaitApproval: (decision: GateDecision, options: ApprovalWait) => Promise<GateDecision>;
  /** The call is run here from now on (a `check()` decision given to `runChecked`): no report is taken for it. */
  runsHere: (callId: string) => void;
  /** The refusal a decision that does not allow the call throws. */
  refusal: (decision: GateDecision) => WardenError;
  session: (id: string) => Promise<SessionInfo>;
  /** Keeps the session from idling out while the call waits or runs; returns the release. */
  holdSession: (id: string) => () => void;
  recordOutcome: (callId: string, outcome: Outcome, options?: AppendOptions) => Promise<void>;
  /** Subscribes to session ends (here or in another process); returns the unsubscribe function. */
  onSessionEnd: (listener: (session: string) => void) => () => void;
}

export class CallRunner {
  readonly #deps: CallRunnerDeps;
  /** Calls running now, by session, so that a session end stops them. */
  readonly #running = new Map<string, Set<AbortController>>();
  /** Aborted when the Warden closes: a call still waiting for people then fails instead of hanging. */
  readonly #closing = new AbortController();

  constructor(deps: CallRunnerDeps) {
    this.#deps = deps;
    deps.onSessionEnd((session) => {
      const calls = this.#running.get(session);
      if (!calls) return;
      this.#running.delete(session);
      for (const call of calls) call.abort(new SessionEndedError(session));
    });
  }

  /** Stops the approval waits (LEDGER_UNAVAILABLE: the call did not run); bodies already running finish. */
  close(): void {
    this.#closing.abort(
      new LedgerUnavailableError("the Warden closed while the call waited for its approval"),
    );
  }

  /** Runs a decided call to its end; the body runs only when the decision (and its approval) allow it. */
  async run<R>(decided: GateDecision, plan: RunPlan<R>): Promise<R> {
    const release = this.#deps.holdSession(decided.session);
    try {
      return await this.#run(decided, plan);
    } finally {
      release();
    }
  }

  async #run<R>(decided: GateDecision, plan: RunPlan<R>): Promise<R> {
    // Watched from the start: a session end also stops a call still waiting for its approval (the
    // approval itself reads as closed from then on), else that wait would last until its deadline.
    const stop = this.#watch(decided.session, plan.signal);
    let decision = decided;
    try {
      if (decision.approval?.status === "pending") {
        const stopNotices = plan.onWaiting?.(decision);
        try {
          const wait = { args: plan.args, traceparent: plan.traceparent, runner: "here" as const };
          decision = await this.#approved(decision, wait, stop.signal);
        } finally {
          stopNotices?.();
        }
      }
      if (decision.enforced !== "allow") throw this.#deps.refusal(decision);
    } catch (err) {
      stop.release();
      throw err;
    }
    this.#deps.runsHere(decision.callId);

    const started = performance.now();
    const outcome = (o: Outcome) => this.#writeOutcome(decision.callId, plan, o);
    let result: R;
    try {
      // The session is read again only for a tool that gets secrets (their lease ends with it).
      const injections = await this.#deps.execution.inject(plan.tool, decision.callId, () =>
        this.#deps.session(decision.session),
      );
      stop.signal.throwIfAborted();
      const running = plan.body({ decision, injections, signal: stop.signal });
      const raw = await (plan.stopsWithSession ? running : untilAborted(running, stop.signal));
      result = this.#deps.execution.screenResult(raw, decision.session, plan.tool);
    } catch (err) {
      // A stopped call ends with the stop's reason (SESSION_ENDED, the caller's abort).
      const shown = this.#deps.execution.screenError(err, decision.session, plan.tool);
      stop.release();
      const recorded = plan.failureOf ? plan.failureOf(shown) : shown;
      await outcome({ status: "error", error: recorded, durationMs: performance.now() - started }).catch(
        (failure: unknown) => {
          throw new OutcomeUnrecordedError(decision.callId, { error: shown }, failure);
        },
      );
      throw shown;
    }
    stop.release();
    const recorded: Outcome = plan.outcomeOf?.(result) ?? { status: "ok", result };
    await outcome({ ...recorded, durationMs: performance.now() - started }).catch((failure: unknown) => {
      throw new OutcomeUnrecordedError(decision.callId, { result }, failure);
    });
    return result;
  }

  /**
   * Waits for the approval of a call its caller runs itself (`check`, then `awaitApproval`): stopped,
   * as a call run here is, by its session's end anywhere (SESSION_ENDED) or the Warden closing.
   */
  async awaitApproval(
    decision: GateDecision,
    options: { args?: unknown; traceparent?: string | null | undefined; signal?: AbortSignal | undefined },
  ): Promise<GateDecision> {
    const stop = this.#watch(decision.session, options.signal);
    try {
      const wait = { args: options.args, traceparent: options.traceparent, runner: "caller" as const };
      return await this.#approved(decision, wait, stop.signal);
    } finally {
      stop.release();
    }
  }

  /** The approval wait under the call's watch: its stop, or the Warden closing, ends it. */
  async #approved(
    decision: GateDecision,
    options: Omit<ApprovalWait, "signal">,
    stop: AbortSignal,
  ): Promise<GateDecision> {
    // An end that came before the watch began aborts nothing: the session is read once it is on.
    await this.#deps.session(decision.session);
    return this.#deps.awaitApproval(decision, {
      args: options.args,
      traceparent: options.traceparent,
      runner: options.runner,
      signal: AbortSignal.any([stop, this.#closing.signal]),
    });
  }

  async #writeOutcome<R>(callId: string, plan: RunPlan<R>, outcome: Outcome): Promise<void> {
    if (plan.deferOutcome)
      plan.deferOutcome(() => this.#deps.recordOutcome(callId, outcome, { batch: "next" }));
    else await this.#deps.recordOutcome(callId, outcome);
  }

  /** One abort for the call: the caller's signal or the session's end, whichever comes first. */
  #watch(session: string, caller: AbortSignal | undefined) {
    const controller = new AbortController();
    const onCaller = () => controller.abort(caller?.reason);
    if (caller?.aborted) onCaller();
    else caller?.addEventListener("abort", onCaller, { once: true });
    const calls = this.#running.get(session) ?? new Set<AbortController>();
    this.#running.set(session, calls);
    calls.add(controller);
    return {
      signal: controller.signal,
      release: () => {
        caller?.removeEventListener("abort", onCaller);
        calls.delete(controller);
        if (calls.size === 0 && this.#running.get(session) === calls) this.#running.delete(session);
      },
    };
  }
}

/** The body's promise, or the abort's reason as soon as the signal fires (the body's late result is dropped). */
function untilAborted<R>(work: Promise<R>, signal: AbortSignal): Promise<R> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<R>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}
