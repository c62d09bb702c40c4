// The outcome record of a call that ran: written exactly once, from the pipeline (call-runner.ts) or
// reported by a caller that ran the tool itself (library `check` + `recordOutcome`, HTTP), whose result is
// then screened here as one run in the pipeline is.
import type { Detections } from "../detect/index.js";
import { digestJson } from "../digest.js";
import { WardenError } from "../errors.js";
import { type JsonObject, toJsonValue } from "../json.js";
import { type AppendOptions, type Ledger, readRecord } from "../ledger/index.js";
import type { Execution } from "./execute.js";
import type { LivePolicy } from "./live-policy.js";
import type { OpenCall, OpenCalls } from "./open-calls.js";
import type { Outcome, OutcomeReporter, ReportedOutcome, ToolRunner } from "./request.js";

export class CallOutcomes {
  readonly #ledger: Ledger;
  readonly #open: OpenCalls;
  readonly #detect: Detections;
  readonly #policy: LivePolicy;
  readonly #execution: Execution;
  readonly #approved: (callId: string) => Promise<boolean>;

  constructor(deps: {
    ledger: Ledger;
    /** The gate's allowed calls still waiting for their outcome. */
    open: OpenCalls;
    detect: Detections;
    policy: LivePolicy;
    execution: Execution;
    /** Whether people approved an asked call (ApprovalWaits.approved). */
    approved: (callId: string) => Promise<boolean>;
  }) {
    this.#ledger = deps.ledger;
    this.#open = deps.open;
    this.#detect = deps.detect;
    this.#policy = deps.policy;
    this.#execution = deps.execution;
    this.#approved = deps.approved;
  }

  /** Records what happened to an allowed call the pipeline ran (call-runner.ts), exactly once. */
  async record(callId: string, outcome: Outcome, options: AppendOptions = {}): Promise<void> {
    await this.#once(callId, null, (call) => this.#write(callId, call, outcome, options));
  }

  /**
   * For a caller that ran the tool itself and reports its result (`session.recordOutcome` for a call
   * `check()` allowed, HTTP for one `/v1/decisions` allowed; CALL_ID_CONFLICT for any other, a call
   * Warden runs above all): the result is screened as one run here is (`secrets.results`), the outcome
   * recorded as it would be then (RESULT_WITHHELD for a withheld result), and what the caller may hand
   * on is returned. A result the caller could not send (`unsent`) passes only while the session holds
   * no secret.
   */
  report(
    callId: string,
    outcome: Outcome,
    options: { from: OutcomeReporter; unsent?: boolean },
  ): Promise<ReportedOutcome> {
    return this.#once(callId, options.from, (call) =>
      this.#screenAndWrite(callId, call, outcome, options.unsent === true),
    );
  }

  /**
   * Runs `write` for the call while no other outcome of it is being written: two reports of one call at
   * once (a client retrying, two workers) get one record; the later gets CALL_ID_CONFLICT. A report
   * (`from`) is taken only from the one the decision said runs the call.
   */
  async #once<T>(
    callId: string,
    from: OutcomeReporter | null,
    write: (call: OpenCall) => Promise<T>,
  ): Promise<T> {
    if (!this.#open.beginOutcome(callId)) {
      throw new WardenError("CALL_ID_CONFLICT", `the outcome of call ${callId} is being recorded already`);
    }
    let claimed = false;
    try {
      const cached = this.#open.get(callId);
      if (cached && from !== null && cached.runner !== from) throw notReportable(callId, cached.runner);
      // A report may reach any process on the database (an HTTP agent behind a load balancer): the
      // store's claim makes the first one the only one, as for a caller-chosen id.
      if (from !== null) claimed = await this.#claimReport(callId);
      return await write(this.#open.take(callId) ?? (await this.#openFromLedger(callId, from)));
    } catch (err) {
      if (claimed) await this.#ledger.store.callIds?.release(reportClaim(callId)).catch(() => undefined);
      throw err;
    } finally {
      this.#open.endOutcome(callId);
    }
  }

  /** True once this process holds the report's claim; CALL_ID_CONFLICT when another one does. */
  async #claimReport(callId: string): Promise<boolean> {
    const claims = this.#ledger.store.callIds;
    if (!claims) return false;
    if (await claims.claim(reportClaim(callId), new Date().toISOString())) return true;
    throw new WardenError("CALL_ID_CONFLICT", `the outcome of call ${callId} is recorded already`);
  }

  async #screenAndWrite(
    callId: string,
    call: OpenCall,
    outcome: Outcome,
    unsent: boolean,
  ): Promise<ReportedOutcome> {
    let recorded = outcome;
    let shown: ReportedOutcome = { status: outcome.status };
    if (outcome.status === "ok") {
      try {
        // Read in the same turn as the screening: a session ending meanwhile drops its values.
        const missing = this.#execution.mayMissLeasedValues(call.session);
        let screened = outcome.result;
        if (unsent) this.#execution.screenUnsent(call.session, call.tool);
        else if (outcome.result !== undefined) {
          screened = this.#execution.screenResult(outcome.result, call.session, call.tool);
        }
        if (missing) await this.#refuseUnscreenable(call.session, call.tool);
        if (!unsent && outcome.result !== undefined) {
          recorded = { ...outcome, result: screened };
          shown = { status: "ok", result: screened };
        }
      } catch (err) {
        // Fail closed: a result that could not be screened is not handed on.
        const withheld =
          err instanceof WardenError && err.code === "RESULT_WITHHELD"
            ? err
            : new WardenError(
                "RESULT_WITHHELD",
                "the result could not be screened for secrets; it was withheld",
              );
        recorded = { status: "error", error: withheld, durationMs: outcome.durationMs };
        shown = { status: "withheld", error: withheld };
      }
    }
    await this.#write(callId, call, recorded, {});
    return shown;
  }

  /**
   * A reported result is screened against the values leased to its session; a session that leased
   * secrets whose values this process no longer holds (it ended and they were dropped) or never held
   * (another process leased them) cannot be screened: its results are withheld (RESULT_WITHHELD).
   */
  async #refuseUnscreenable(session: string, tool: string): Promise<void> {
    const [lease] = await this.#ledger.store.query({ session, kinds: ["secret.lease"], limit: 1 });
    if (lease === undefined) return;
    throw new WardenError(
      "RESULT_WITHHELD",
      `the result of tool "${tool}" cannot be screened against the secrets its session leased (the session ended, or another process holds them); it was withheld`,
    );
  }

  async #write(callId: string, call: OpenCall, outcome: Outcome, options: AppendOptions): Promise<void> {
    try {
      await this.#ledger.append(
        {
          kind: "call.outcome",
          session: call.session,
          agent: call.agent,
          callId,
          data: outcomeData(call, outcome),
        },
        options,
      );
    } catch (err) {
      this.#open.restore(callId, call);
      throw err;
    }
    if (outcome.status === "ok" && outcome.result !== undefined) {
      this.#detect.observeResult(
        this.#policy.current.detect,
        call.session,
        call.tool,
        callId,
        outcome.result,
      );
    }
  }

  /** An allowed call decided before a restart (or by another process) whose outcome is still missing. */
  async #openFromLedger(callId: string, from: OutcomeReporter | null): Promise<OpenCall> {
    const records = await this.#ledger.store.query({ callId, kinds: ["call.intent", "call.outcome"] });
    const found = records.find((r) => r.kind === "call.intent");
    if (!found) throw new WardenError("CALL_NOT_FOUND", `no call ${callId}`);
    const intent = readRecord(found, "call.intent");
    if (records.some((r) => r.kind === "call.outcome")) {
      throw new WardenError("CALL_ID_CONFLICT", `call ${callId} already has an outcome`);
    }
    // Records older than the field do not say who runs the call: none of them is taken from a report.
    const runner = intent.data.runner;
    if (from !== null && runner !== from) throw notReportable(callId, runner);
    const { enforced } = intent.data.decision;
    const approved = enforced === "ask" && (await this.#approved(callId));
    if (enforced !== "allow" && !approved) {
      throw new WardenError("CALL_ID_CONFLICT", `call ${callId} was not allowed to run`);
    }
    return {
      session: intent.session ?? "",
      agent: intent.agent ?? "",
      tool: intent.data.tool,
      traceparent: intent.data.traceparent ?? null,
      runner: runner ?? "here",
      startedAt: Date.parse(intent.ts),
    };
  }
}

/** The claim a reported outcome takes in the store's call ids: a space never appears in a call id. */
function reportClaim(callId: string): string {
  return `outcome ${callId}`;
}

/** A report from anyone but the one the decision said runs the call. */
function notReportable(callId: string, runner: ToolRunner | undefined): WardenError {
  const why =
    runner === "here" || runner === "sandbox"
      ? "Warden runs it and records its outcome from that run"
      : runner === "caller"
        ? "it was checked in the library: the program that checked it reports its outcome"
        : runner === "remote"
          ? "it was checked over HTTP: its outcome is reported over HTTP"
          : "its record does not say who runs it";
  return new WardenError("CALL_ID_CONFLICT", `the outcome of call ${callId} is not taken from here: ${why}`);
}

/**
 * What a call.outcome record holds: status, duration, the result's digest and size (never the result), an
 * error's stable code (never its message, which can carry secrets or personal data).
 */
function outcomeData(call: OpenCall, outcome: Outcome) {
  const { tool } = call;
  const durationMs = Math.round((outcome.durationMs ?? Date.now() - call.startedAt) * 1000) / 1000;
  // The outcome carries the trace too: an exported span is built from the record that ends the call.
  const trace: JsonObject = call.traceparent ? { traceparent: call.traceparent } : {};
  if (outcome.status === "ok") {
    return {
      tool,
      status: "ok" as const,
      durationMs,
      result: resultDigest(outcome.result),
      error: null,
      ...trace,
    };
  }
  return {
    tool,
    status: "error" as const,
    durationMs,
    result: null,
    error: { code: errorCode(outcome.error) },
    ...trace,
  };
}

/** Digest and size of a result, never the result itself: the ledger proves what came back without keeping it. */
function resultDigest(result: unknown) {
  if (result === undefined) return null;
  try {
    return digestJson(toJsonValue(result));
  } catch {
    return { digest: null, size: null, type: typeof result };
  }
}

/** A stable code, never the message: error text can carry secrets or personal data. */
function errorCode(err: unknown): string {
  if (err instanceof WardenError) return err.code;
  if (typeof err === "string") return "string";
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "string" && /^[\w.-]{1,64}$/.test(code) ? code : err.name;
  }
  if (err && typeof err === "object" && typeof (err as { code?: unknown }).code === "string") {
    return String((err as { code: string }).code).slice(0, 64);
  }
  return "error";
}
