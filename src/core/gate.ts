// The pipeline of one tool call: identity → policy → detections → approval → durable intent record →
// secrets → run (in process, or sandboxed for command tools) → outcome record.
// This is the only file that knows the order of the stages.
import type { Approvals, AskedCall, HeldApproval } from "../approvals/index.js";
import type { Detections, Screening } from "../detect/index.js";
import {
  ApprovalMismatchError,
  ApprovalsPendingLimitError,
  RateLimitedError,
  type RefusalInfo,
  SessionEndedError,
  ToolDeniedError,
  WardenError,
} from "../errors.js";
import { rootSession, type SessionInfo, type SessionRegistry } from "../identity/index.js";
import { CALLER_ID_PATTERN, newId } from "../ids.js";
import { type JsonValue, toJsonValue } from "../json.js";
import type { Ledger, RecordInput } from "../ledger/index.js";
import {
  applyRedactions,
  type CompiledPolicy,
  type LimitContext,
  type PolicyDecision,
  type TakeResult,
} from "../policy/index.js";
import type { Containment } from "../sandbox/index.js";
import { traceparentOf } from "../trace.js";
import { ApprovalWaits, type CallState } from "./approval-waits.js";
import { type ApprovalWait, CallRunner, type RunPlan } from "./call-runner.js";
import type { Execution } from "./execute.js";
import type { LivePolicy } from "./live-policy.js";
import { OpenCalls } from "./open-calls.js";
import { CallOutcomes } from "./outcomes.js";
import { policyVerdict } from "./policy-verdict.js";
import type {
  CommandResult,
  DecisionFacts,
  DecisionOutcome,
  GateDecision,
  LimitRefusal,
  Outcome,
  OutcomeReporter,
  PendingApproval,
  RememberedApproval,
  ReportedOutcome,
  ToolCallRequest,
  ToolContext,
  ToolRunner,
} from "./request.js";

const TOOL_NAME = /^[\x21-\x7e]{1,256}$/;
const MAX_RATIONALE = 16 * 1024;

export class Gate {
  readonly #ledger: Ledger;
  readonly #sessions: SessionRegistry;
  readonly #policy: LivePolicy;
  readonly #detect: Detections;
  readonly #approvals: Approvals;
  readonly #execution: Execution;
  readonly #containment: Containment;
  readonly #open = new OpenCalls();
  readonly #waits: ApprovalWaits;
  readonly #runner: CallRunner;
  readonly #outcomes: CallOutcomes;

  constructor(deps: {
    ledger: Ledger;
    sessions: SessionRegistry;
    policy: LivePolicy;
    detect: Detections;
    approvals: Approvals;
    execution: Execution;
    containment: Containment;
    /** Session ends, here or in another process (Warden.onSessionEnd): they stop the session's calls. */
    onSessionEnd: (listener: (session: string) => void) => () => void;
  }) {
    this.#ledger = deps.ledger;
    this.#sessions = deps.sessions;
    this.#policy = deps.policy;
    this.#detect = deps.detect;
    this.#approvals = deps.approvals;
    this.#waits = new ApprovalWaits({
      approvals: deps.approvals,
      sessions: deps.sessions,
      store: deps.ledger.store,
      onSessionEnd: deps.onSessionEnd,
      policy: deps.policy,
      // Once: a second refusal of the call finds its outcome (CALL_ID_CONFLICT). Not recorded (the
      // ledger is down) changes nothing for the call: it is refused either way.
      recordRefused: (callId, refusal) =>
        this.#outcomes
          .record(callId, { status: "error", error: refusal, durationMs: 0 })
          .catch(() => undefined),
    });
    this.#execution = deps.execution;
    this.#containment = deps.containment;
    this.#outcomes = new CallOutcomes({
      ledger: deps.ledger,
      open: this.#open,
      detect: deps.detect,
      policy: deps.policy,
      execution: deps.execution,
      approved: (callId) => this.#waits.approved(callId),
    });
    this.#runner = new CallRunner({
      execution: deps.execution,
      awaitApproval: (decision, options) => this.#settle(decision, options),
      runsHere: (callId) => this.#open.runHere(callId),
      refusal: refusalError,
      session: (id) => this.#sessions.active(id),
      holdSession: (id) => this.#sessions.hold(id),
      recordOutcome: (callId, outcome, options) => this.#outcomes.record(callId, outcome, options),
      onSessionEnd: deps.onSessionEnd,
    });
  }

  /**
   * Decides a call and makes its intent record durable. Never runs anything. `runner` says who runs the
   * tool once allowed, so who writes its outcome (ToolRunner): a command tool is allowed only on the way
   * into its sandbox (`sandbox`, from `command()`); a `remote` caller (HTTP) runs it in its own process,
   * so no process here waits on an approval.
   */
  async decide(req: ToolCallRequest, runner: ToolRunner = "here"): Promise<GateDecision> {
    const call = await this.#admit(req, runner);
    const policyVerdict = this.#policyVerdict(call);
    // Only a shared limiter answers with a promise: the in-memory one stays free of an extra await.
    const taking = policyVerdict.effect === "deny" ? null : this.#takeLimits(call);
    const limited = taking instanceof Promise ? await taking : taking;
    const screening = this.#runDetectors(call, limited?.refused?.verdict ?? policyVerdict);
    const redaction = this.#redact(call, screening);
    const enforcement = this.#enforce(call, screening, redaction);
    const { refused } = enforcement;
    const decision: GateDecision = {
      ...factsOf(call, refused ?? screening.verdict, redaction),
      ...(refused ? PENDING_LIMIT : limitRefusal(limited)),
      ...enforcement.outcome,
    };
    await this.#recordIntent(decision, call, {
      screening,
      redaction,
      enforcement,
      took: limited?.took ?? null,
    });
    if (decision.enforced === "allow") {
      this.#open.add(call.callId, {
        session: call.session.id,
        agent: call.session.agent,
        tool: call.tool,
        traceparent: call.traceparent,
        runner,
        // Only a `check()` decision can be run later (`runChecked`), and only with these arguments.
        ...(runner === "caller" ? { decidedArgs: call.args } : {}),
      });
    }
    if (decision.enforced === "ask") this.#approvals.announce(decision.approval.id);
    return decision;
  }

  /** The request's own checks, the live session, the call id (claimed), and the policy in force. */
  async #admit(req: ToolCallRequest, runner: ToolRunner): Promise<AdmittedCall> {
    const { args, rationale: given, traceparent } = checkRequest(req);
    const session = await this.#sessions.active(req.session);
    // Recorded and shown to approvers: a value handed out to the session is masked in it.
    const rationale = given === null ? null : this.#execution.maskLeased(given, session.id);
    const callId = await this.#claimCallId(req.callId);
    const chosenId = req.callId !== undefined && req.callId !== null;
    const policy = this.#policy.current;
    return { callId, chosenId, tool: req.tool, args, rationale, traceparent, runner, session, policy };
  }

  /** The arguments as the ledger records them, and as deciders of an approval may read them. */
  #redact(call: AdmittedCall, screening: Screening): Redaction {
    const redactPaths = call.policy.redactionsFor(call.tool);
    // A value handed out to the session is never recorded either, however it got into the arguments.
    const leased = this.#execution.leasedPaths(call.args, call.session.id);
    const hidden = leased.length > 0 ? [...screening.redact, ...leased] : screening.redact;
    const recorded = applyRedactions(
      call.args,
      hidden.length > 0 ? [...redactPaths, ...hidden] : redactPaths,
    );
    // Deciders read the policy's redacted values; credentials DLP found (and leased values) stay digests.
    const shownArgs =
      redactPaths.length === 0
        ? null
        : hidden.length > 0
          ? applyRedactions(call.args, hidden).args
          : call.args;
    return { args: recorded.args, redacted: recorded.redacted, shownArgs };
  }

  /** What happens to the call: monitor mode allows everything; an `ask` goes to the approvals stage. */
  #enforce(call: AdmittedCall, { verdict, alsoAsked }: Screening, redaction: Redaction): Enforcement {
    const monitor = call.policy.mode === "monitor";
    if (verdict.effect !== "ask") {
      const enforced = monitor ? "allow" : verdict.effect;
      return { outcome: { enforced, approval: null }, record: null, held: null, refused: null };
    }
    return this.#ask(call, verdict, redaction, alsoAsked, monitor);
  }

  /** The policy's verdict; a command tool outside its sandbox is refused whatever the policy says. */
  #policyVerdict(call: AdmittedCall): PolicyDecision {
    return policyVerdict(call.policy, call);
  }

  /** Rate limits: a token from every matching bucket, or a deny with the wait. */
  #takeLimits({ tool, session }: AdmittedCall): Limited | Promise<Limited> {
    const ctx = { tool, agent: session.agent, session: session.id, user: session.onBehalfOf };
    const pending = this.#policy.limiter.take(ctx);
    return pending instanceof Promise ? pending.then((t) => limitedBy(ctx, t)) : limitedBy(ctx, pending);
  }

  /**
   * An ask is let through by a remembered approval, or becomes a pending approval recorded with the
   * intent. A detector asking besides the rule (`alsoAsked`) is named in the approval's reason, and a
   * remembered approval of the rule does not answer it. A session that already has
   * approvals.maxPendingPerSession pending is refused instead, nobody asked. In monitor mode nothing is
   * asked: the call is let through, and a refusal is only recorded.
   */
  #ask(
    call: AdmittedCall,
    verdict: PolicyDecision,
    redaction: Redaction,
    alsoAsked: string[],
    monitor: boolean,
  ): Enforcement {
    const { session, policy } = call;
    const asked: AskedCall = {
      callId: call.callId,
      session: session.id,
      agent: session.agent,
      onBehalfOf: session.onBehalfOf,
      intent: session.intent,
      tool: call.tool,
      args: call.args,
      recordedArgs: redaction.args,
      shownArgs: redaction.shownArgs,
      redacted: redaction.redacted,
      rationale: call.rationale,
      ruleId: verdict.ruleId,
      reason:
        alsoAsked.length === 0 ? verdict.reason : `${verdict.reason}; also asked: ${alsoAsked.join("; ")}`,
      policy: policy.digest,
      settings: policy.approvalFor(verdict.ruleId),
      developer: session.developer,
      caller: call.runner === "remote" ? "remote" : "here",
    };
    const remembered = this.#approvals.remembered(asked);
    if (remembered.approvalId !== null && alsoAsked.length === 0) {
      const approval: RememberedApproval | null = monitor
        ? null
        : { id: remembered.approvalId, status: "remembered", expiresAt: null, digest: null, required: null };
      return { outcome: { enforced: "allow", approval }, record: null, held: null, refused: null };
    }
    const refused = this.#pendingLimit(call, verdict);
    if (monitor || refused) {
      const outcome: DecisionOutcome = monitor
        ? { enforced: "allow", approval: null }
        : { enforced: "deny", approval: null };
      return { outcome, record: null, held: null, refused };
    }
    const pending = this.#approvals.request(asked, remembered.key);
    const approval: PendingApproval = {
      id: pending.id,
      status: "pending",
      expiresAt: pending.expiresAt,
      digest: pending.digest,
      required: asked.settings.approvers,
    };
    // Held only when a redaction hid something from the record: otherwise the ledger already shows it all.
    const held =
      asked.shownArgs !== null && asked.redacted.length > 0
        ? {
            approval: { id: pending.id, session: session.id, expiresAt: pending.expiresAt },
            args: asked.shownArgs,
          }
        : null;
    return { outcome: { enforced: "ask", approval }, record: pending.record, held, refused: null };
  }

  /**
   * The deny an ask becomes when its session already has approvals.maxPendingPerSession approvals
   * pending (decided or expired ones no longer count), or null. It keeps one session from flooding the
   * approvers, their webhooks and chat channels, and this process's memory with requests.
   */
  #pendingLimit(call: AdmittedCall, verdict: PolicyDecision): PolicyDecision | null {
    const max = call.policy.approvalChannels.maxPendingPerSession;
    const pending = this.#approvals.book.pendingIn(call.session.id);
    if (pending < max) return null;
    return {
      effect: "deny",
      ruleId: PENDING_LIMIT_RULE,
      reason:
        `this session already has ${pending} approvals pending (approvals.maxPendingPerSession: ${max}); ` +
        `rule ${verdict.ruleId} would ask for another, so nobody was asked: wait until some are decided`,
    };
  }

  /**
   * The intent record, and with it in one group commit the approval request and the detectors' alerts
   * (held arguments first). If it cannot be made durable, nothing happened: the limit tokens the call
   * took go back (docs/policy.md) and held arguments are dropped.
   */
  async #recordIntent(
    decision: GateDecision,
    call: AdmittedCall,
    steps: {
      screening: Screening;
      redaction: Redaction;
      enforcement: Enforcement;
      took: LimitContext | null;
    },
  ): Promise<void> {
    const { screening, redaction, enforcement, took } = steps;
    const { session } = call;
    const { approval } = decision;
    const { held } = enforcement;
    try {
      if (held) await this.#approvals.hold(held.approval, held.args);
      const intent = this.#ledger.append({
        kind: "call.intent",
        session: session.id,
        agent: session.agent,
        callId: decision.callId,
        data: {
          tool: decision.tool,
          args: redaction.args,
          redacted: decision.redacted,
          rationale: call.rationale,
          intent: session.intent,
          principal: session.principal,
          decision: {
            effect: decision.effect,
            enforced: decision.enforced,
            ruleId: decision.ruleId,
            reason: decision.reason,
            code: decision.code,
          },
          mode: decision.mode,
          policy: decision.policyDigest,
          runner: call.runner,
          ...(call.traceparent ? { traceparent: call.traceparent } : {}),
          ...(screening.logged.length > 0 ? { detections: screening.logged } : {}),
          ...(approval ? { approval: { id: approval.id, status: approval.status } } : {}),
        },
      });
      const more = enforcement.record ? [enforcement.record, ...screening.alerts] : screening.alerts;
      await Promise.all([intent, ...more.map((a) => this.#ledger.append(a))]);
    } catch (err) {
      if (took) await Promise.resolve(this.#policy.limiter.refund(took)).catch(() => undefined);
      if (approval?.status === "pending") this.#approvals.abandon(session.id, approval.id);
      if (held) await this.#approvals.release(held.approval.id).catch(() => undefined);
      // Nothing was recorded under a caller's id: it may be used again.
      if (call.chosenId) await this.#ledger.store.callIds?.release(call.callId).catch(() => undefined);
      throw err;
    } finally {
      this.#open.release(call.callId);
    }
  }

  /**
   * Waits for a pending approval and returns the decision as it now stands: allowed, and open for its
   * outcome, once enough approvers said yes. Throws APPROVAL_DENIED (with the approver's reason),
   * APPROVAL_EXPIRED, or APPROVAL_MISMATCH when `args` (the arguments the caller is about to run with)
   * are not the ones approved; SESSION_ENDED at once when the session ends meanwhile (in any process),
   * LEDGER_UNAVAILABLE when this Warden closes. Nothing here runs the tool.
   */
  async awaitApproval(
    decision: GateDecision,
    options: {
      args?: unknown;
      traceparent?: string | null | undefined;
      signal?: AbortSignal | undefined;
    } = {},
  ): Promise<GateDecision> {
    if (decision.approval?.status !== "pending") return decision;
    return this.#runner.awaitApproval(decision, options);
  }

  /**
   * The wait itself (the runner adds the stop at session end): the approval, then the call is open,
   * for the runner's own outcome or (`caller`) for the program's report.
   */
  async #settle(decision: GateDecision, options: ApprovalWait): Promise<GateDecision> {
    const view = await this.#waits.settled(decision, options);
    this.#open.add(decision.callId, {
      session: view.session,
      agent: view.agent,
      tool: view.tool,
      traceparent: traceparentOf(options.traceparent),
      runner: options.runner,
    });
    return { ...decision, enforced: "allow" };
  }

  /** Calls still waiting for an approval fail now (the Warden is closing); see CallRunner.close. */
  close(): void {
    this.#runner.close();
  }

  /** The state of a call an HTTP agent asked about; waits up to `waitMs` while its approval is pending. */
  callState(callId: string, waitMs: number): Promise<CallState> {
    return this.#waits.callState(callId, waitMs);
  }

  /**
   * The detections stage (detect/): DLP, canaries, data flow, intent and behaviour drift. A finding can
   * only strengthen the verdict. Fail closed: if the stage itself breaks, the call is denied.
   */
  #runDetectors(call: AdmittedCall, verdict: PolicyDecision): Screening {
    const { session, policy } = call;
    const input = {
      callId: call.callId,
      tool: call.tool,
      args: call.args,
      session: {
        id: session.id,
        agent: session.agent,
        intent: session.intent,
        parent: session.parent,
        root: rootSession(session.principal),
      },
      now: Date.now(),
    };
    try {
      return this.#detect.screen(input, policy.detect, verdict, policy.mode === "monitor");
    } catch {
      const reason = "the detections stage failed (DETECTOR_FAILED)";
      return {
        verdict: verdict.effect === "deny" ? verdict : { effect: "deny", ruleId: "detect:error", reason },
        alerts: [],
        logged: [],
        redact: [],
        alsoAsked: [],
      };
    }
  }

  /** Decides, then runs `fn` only when the decision allows it, and records the outcome. */
  async run<R>(req: ToolCallRequest, fn: (ctx: ToolContext) => R | Promise<R>): Promise<Awaited<R>> {
    // A command tool runs only sandboxed (session.command): refused before anything is recorded.
    if (this.#containment.isCommand(req.tool)) {
      throw new WardenError(
        "SANDBOX_INVALID",
        `tool "${req.tool}" is a command tool: run it with session.command()`,
      );
    }
    const decision = await this.decide(req);
    return this.proceed<Awaited<R>>(decision, {
      tool: req.tool,
      args: req.args ?? {},
      traceparent: req.traceparent,
      body: async ({ injections, signal }): Promise<Awaited<R>> =>
        await fn(this.#execution.context(decision.callId, injections, signal)),
    });
  }

  /**
   * Runs a command tool in a bubblewrap sandbox whose only network is the egress proxy, with the
   * secrets the policy injects. A connection the egress rules refuse kills it (and, by default, ends
   * the session): the call then fails with SANDBOX_VIOLATION.
   */
  async command(
    req: ToolCallRequest,
    run: { command: readonly string[]; stdin?: string },
  ): Promise<CommandResult> {
    if (!this.#containment.isCommand(req.tool)) {
      throw new WardenError("SANDBOX_INVALID", `tool "${req.tool}" is not listed under sandbox.commands`);
    }
    const decision = await this.decide(req, "sandbox");
    return this.proceed(decision, {
      tool: req.tool,
      args: req.args ?? {},
      traceparent: req.traceparent,
      stopsWithSession: true,
      body: async ({ injections }) => {
        const { agent } = await this.#sessions.get(decision.session);
        const result = await this.#containment.run(
          { session: decision.session, agent, callId: decision.callId, tool: req.tool },
          {
            command: run.command,
            ...(run.stdin !== undefined ? { stdin: run.stdin } : {}),
            env: injections.env,
            headers: injections.headers,
          },
        );
        if (result.violation) {
          const v = result.violation;
          throw new WardenError(
            "SANDBOX_VIOLATION",
            `tool "${req.tool}" tried to reach ${v.host}:${v.port} (${v.reason}); it was stopped`,
            { host: v.host, port: v.port, reason: v.reason },
          );
        }
        if (result.killed === "session ended") throw new SessionEndedError(decision.session);
        return {
          exitCode: result.exitCode,
          stdout: result.stdout,
          stderr: result.stderr,
          durationMs: result.durationMs,
          killed: result.killed,
        };
      },
    });
  }

  /**
   * Everything after the decision (core/call-runner.ts): the approval wait bound to `plan.args`,
   * secrets, the run, screening, the outcome record, the stop at session end. Every entry point that
   * runs a tool itself comes through here, whether it decided just now or earlier (`check()`).
   */
  proceed<R>(decision: GateDecision, plan: RunPlan<R>): Promise<R> {
    return this.#runner.run(decision, plan);
  }

  /**
   * `proceed` for a decision `check()` returned earlier (`runChecked`): a decision runs once, and with
   * the arguments it was decided on. CALL_ID_CONFLICT when it ran already, runs now, had its outcome
   * reported, or was not decided by `check()` in this process; APPROVAL_MISMATCH when `plan.args` are
   * not the decided ones (a pending approval binds them through its digest instead). Nothing runs then.
   */
  async proceedChecked<R>(decision: GateDecision, given: RunPlan<R>): Promise<R> {
    const { callId } = decision;
    // Absent arguments are `{}`, as `check()` recorded them; left absent, a pending approval's wait
    // would bind nothing.
    const plan = given.args === undefined ? { ...given, args: {} } : given;
    if (!this.#open.beginChecked(callId)) throw ranOnce(callId, "is running already");
    try {
      if (decision.approval?.status === "pending") {
        const [outcome] = await this.#ledger.store.query({ callId, kinds: ["call.outcome"], limit: 1 });
        if (outcome) throw ranOnce(callId, "ran already");
      } else if (decision.enforced === "allow") {
        const claimed = this.#open.claimChecked(callId, plan.args);
        if (claimed === "not-open") {
          throw ranOnce(
            callId,
            "is not open here: it ran, its outcome was reported, or check() did not decide it in this process",
          );
        }
        if (claimed === "other-args") {
          throw new ApprovalMismatchError(callId, decision.tool);
        }
      }
      return await this.#runner.run(decision, plan);
    } finally {
      this.#open.endChecked(callId);
    }
  }

  /**
   * What an in-process entry point relays besides a tool's result (MCP progress and log messages), as
   * the model may see it (Execution.screenRelayed): RESULT_WITHHELD when it must not pass.
   */
  screenRelayed<T>(value: T, session: string, tool: string | null): T {
    return this.#execution.screenRelayed(value, session, tool);
  }

  /**
   * The outcome of an allowed call its caller ran itself (see CallOutcomes.report), from the one its
   * decision said runs it (`from`): the reported result screened, the outcome recorded, what may be
   * handed on. The pipeline's own outcomes never come here, and a call it runs is never reported.
   */
  reportOutcome(
    callId: string,
    outcome: Outcome,
    options: { from: OutcomeReporter; unsent?: boolean },
  ): Promise<ReportedOutcome> {
    return this.#outcomes.report(callId, outcome, options);
  }

  async #claimCallId(requested: string | null | undefined): Promise<string> {
    if (requested === undefined || requested === null) return newId("call");
    if (typeof requested !== "string" || !CALLER_ID_PATTERN.test(requested)) {
      throw new WardenError(
        "INVALID_REQUEST",
        "callId must be 1–128 characters of [A-Za-z0-9_.:-], not . or ..",
      );
    }
    // Reserved before the store lookup so two concurrent requests with one id cannot both pass; the
    // store's claim does the same for other processes on the database (ids used before it, by the lookup).
    if (!this.#open.reserve(requested)) throw conflict(requested);
    const store = this.#ledger.store;
    try {
      const seen = await store.query({ callId: requested, kinds: ["call.intent"], limit: 1 });
      const claimed =
        seen.length === 0 && (await store.callIds?.claim(requested, new Date().toISOString())) !== false;
      if (!claimed) throw conflict(requested);
    } catch (err) {
      this.#open.release(requested);
      throw err;
    }
    return requested;
  }
}

/** A call past its first checks: the request's own fields, its live session, its claimed id, the policy in force. */
interface AdmittedCall {
  callId: string;
  /** The caller chose the id (claimed in the store, given back if the intent is not recorded). */
  chosenId: boolean;
  tool: string;
  args: JsonValue;
  rationale: string | null;
  traceparent: string | null;
  /** Who runs the tool once allowed; so who writes its outcome. */
  runner: ToolRunner;
  session: SessionInfo;
  policy: CompiledPolicy;
}

/** The arguments as recorded (redacted paths as digests), and as deciders may read them (null: as recorded). */
interface Redaction {
  args: JsonValue;
  redacted: string[];
  shownArgs: JsonValue | null;
}

/** The outcome, with what an `ask` adds: the approval request record and the arguments held for deciders. */
interface Enforcement {
  outcome: DecisionOutcome;
  record: RecordInput | null;
  held: { approval: HeldApproval; args: JsonValue } | null;
  /** An ask turned into a deny by approvals.maxPendingPerSession: the verdict recorded instead. */
  refused: PolicyDecision | null;
}

/** The rule a refusal by approvals.maxPendingPerSession names. */
const PENDING_LIMIT_RULE = "approvals:maxPendingPerSession";
const PENDING_LIMIT: LimitRefusal = { code: "APPROVALS_PENDING_LIMIT", retryAfterMs: null };

function factsOf(call: AdmittedCall, verdict: PolicyDecision, redaction: Redaction): DecisionFacts {
  return {
    callId: call.callId,
    session: call.session.id,
    tool: call.tool,
    effect: verdict.effect,
    ruleId: verdict.ruleId,
    reason: verdict.reason,
    mode: call.policy.mode,
    policyDigest: call.policy.digest,
    redacted: redaction.redacted,
  };
}

function limitRefusal(limited: Limited | null): LimitRefusal {
  return limited?.refused
    ? { code: "RATE_LIMITED", retryAfterMs: limited.refused.retryAfterMs }
    : { code: null, retryAfterMs: null };
}

interface Limited {
  /** What the call took tokens for (given back if its intent cannot be recorded). */
  took: LimitContext | null;
  refused: { verdict: PolicyDecision; retryAfterMs: number } | null;
}

function limitedBy(ctx: LimitContext, taken: TakeResult): Limited {
  if (taken.ok) return { took: ctx, refused: null };
  const verdict: PolicyDecision = {
    effect: "deny",
    ruleId: `limit:${taken.limit.id}`,
    reason: taken.limit.reason,
  };
  return { took: null, refused: { verdict, retryAfterMs: taken.retryAfterMs } };
}

/** The request's own fields, checked before anything is looked up: tool name, rationale, JSON arguments. */
function checkRequest(req: ToolCallRequest): {
  args: JsonValue;
  rationale: string | null;
  traceparent: string | null;
} {
  if (typeof req.tool !== "string" || !TOOL_NAME.test(req.tool)) {
    throw new WardenError("INVALID_REQUEST", "tool must be 1–256 printable ASCII characters without spaces");
  }
  const rationale = req.rationale ?? null;
  if (rationale !== null && (typeof rationale !== "string" || rationale.length > MAX_RATIONALE)) {
    throw new WardenError(
      "INVALID_REQUEST",
      `rationale must be a string of at most ${MAX_RATIONALE} characters`,
    );
  }
  const args = toJsonValue(req.args === undefined ? {} : req.args);
  return { args, rationale, traceparent: traceparentOf(req.traceparent) };
}

function ranOnce(callId: string, what: string): WardenError {
  return new WardenError("CALL_ID_CONFLICT", `call ${callId} ${what}; a decision runs once`, { callId });
}

function conflict(callId: string): WardenError {
  return new WardenError("CALL_ID_CONFLICT", `call id ${callId} was already used`);
}

/** The error a refused call throws in the library (an `ask` never gets here: it waits for its approval). */
export function refusalError(decision: GateDecision): WardenError {
  const info: RefusalInfo = {
    callId: decision.callId,
    tool: decision.tool,
    ruleId: decision.ruleId,
    reason: decision.reason,
  };
  if (decision.code === "RATE_LIMITED") return new RateLimitedError(info, decision.retryAfterMs);
  if (decision.code === "APPROVALS_PENDING_LIMIT") return new ApprovalsPendingLimitError(info);
  return new ToolDeniedError(info);
}
