// The pipeline of one tool call: identity → policy → detections → approval → durable intent record →
// secrets → run (in process, or sandboxed for command tools) → outcome record.
// This is the only file that knows the order of the stages.
import type { Approvals, AskedCall } from "../approvals/index.js";
import type { Detections, Screening } from "../detect/index.js";
import { RateLimitedError, type RefusalInfo, ToolDeniedError, WardenError } from "../errors.js";
import type { SessionInfo, SessionRegistry } from "../identity/index.js";
import { CALLER_ID_PATTERN, newId } from "../ids.js";
import { type JsonValue, toJsonValue } from "../json.js";
import type { Ledger, RecordInput } from "../ledger/index.js";
import { applyRedactions, type CompiledPolicy, type PolicyDecision } from "../policy/index.js";
import type { Containment } from "../sandbox/index.js";
import type { Injections } from "../secrets/index.js";
import { traceparentOf } from "../trace.js";
import { ApprovalWaits, type CallState } from "./approval-waits.js";
import type { Execution } from "./execute.js";
import type { LivePolicy } from "./live-policy.js";
import { OpenCalls } from "./open-calls.js";
import { outcomeData } from "./outcome.js";
import type {
  ApprovalRef,
  CommandResult,
  GateDecision,
  Outcome,
  ToolCallRequest,
  ToolContext,
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

  constructor(deps: {
    ledger: Ledger;
    sessions: SessionRegistry;
    policy: LivePolicy;
    detect: Detections;
    approvals: Approvals;
    execution: Execution;
    containment: Containment;
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
    });
    this.#execution = deps.execution;
    this.#containment = deps.containment;
  }

  /**
   * Decides a call and makes its intent record durable. Never runs anything. A command tool is allowed
   * only on the way into its sandbox (`sandboxed`, from `command()`): a caller that runs tools itself
   * (check, HTTP, MCP) gets a deny for it.
   */
  async decide(req: ToolCallRequest, sandboxed = false): Promise<GateDecision> {
    if (typeof req.tool !== "string" || !TOOL_NAME.test(req.tool)) {
      throw new WardenError(
        "INVALID_REQUEST",
        "tool must be 1–256 printable ASCII characters without spaces",
      );
    }
    const rationale = req.rationale ?? null;
    if (rationale !== null && (typeof rationale !== "string" || rationale.length > MAX_RATIONALE)) {
      throw new WardenError(
        "INVALID_REQUEST",
        `rationale must be a string of at most ${MAX_RATIONALE} characters`,
      );
    }
    const args = toJsonValue(req.args === undefined ? {} : req.args);
    const traceparent = traceparentOf(req.traceparent);
    const session = await this.#sessions.active(req.session);
    const callId = await this.#claimCallId(req.callId);

    const policy = this.#policy.current;
    let verdict: PolicyDecision = policy.evaluate({
      tool: req.tool,
      args,
      agent: { name: session.agent, team: session.team, developer: session.developer },
      session: {
        id: session.id,
        onBehalfOf: session.onBehalfOf,
        intent: session.intent,
        parent: session.parent,
      },
      now: new Date(),
    });
    if (!sandboxed && verdict.effect !== "deny" && policy.containment.commandLimits(req.tool) !== null) {
      const reason = "a command tool runs only in its sandbox (session.command)";
      verdict = { effect: "deny", ruleId: "sandbox:command", reason };
    }
    let code: GateDecision["code"] = null;
    let retryAfterMs: number | null = null;
    if (verdict.effect !== "deny") {
      const pending = this.#policy.limiter.take({
        tool: req.tool,
        agent: session.agent,
        session: session.id,
        user: session.onBehalfOf,
      });
      // Only a shared limiter returns a promise: the in-memory one stays free of an extra await.
      const taken = pending instanceof Promise ? await pending : pending;
      if (!taken.ok) {
        verdict = { effect: "deny", ruleId: `limit:${taken.limit.id}`, reason: taken.limit.reason };
        code = "RATE_LIMITED";
        retryAfterMs = taken.retryAfterMs;
      }
    }
    const screening = this.#runDetectors(callId, req.tool, args, session, policy, verdict);
    verdict = screening.verdict;
    let enforced = policy.mode === "monitor" ? "allow" : verdict.effect;
    const redactPaths = policy.redactionsFor(req.tool);
    const redaction = applyRedactions(
      args,
      screening.redact.length > 0 ? [...redactPaths, ...screening.redact] : redactPaths,
    );

    // An ask is let through by a remembered approval, or becomes a pending approval recorded with the intent.
    let approval: ApprovalRef | null = null;
    let approvalRecord: RecordInput | null = null;
    if (enforced === "ask") {
      const asked: AskedCall = {
        callId,
        session: session.id,
        agent: session.agent,
        onBehalfOf: session.onBehalfOf,
        intent: session.intent,
        tool: req.tool,
        args,
        recordedArgs: redaction.args,
        redacted: redaction.redacted,
        rationale,
        ruleId: verdict.ruleId,
        reason: verdict.reason,
        policy: policy.digest,
        settings: policy.approvalFor(verdict.ruleId),
      };
      const remembered = this.#approvals.remembered(asked);
      if (remembered.approvalId !== null) {
        enforced = "allow";
        approval = {
          id: remembered.approvalId,
          status: "remembered",
          expiresAt: null,
          digest: null,
          required: null,
        };
      } else {
        const pending = this.#approvals.request(asked, remembered.key);
        approvalRecord = pending.record;
        approval = {
          id: pending.id,
          status: "pending",
          expiresAt: pending.expiresAt,
          digest: pending.digest,
          required: asked.settings.approvers,
        };
      }
    }

    const decision: GateDecision = {
      callId,
      session: session.id,
      tool: req.tool,
      effect: verdict.effect,
      enforced,
      ruleId: verdict.ruleId,
      reason: verdict.reason,
      mode: policy.mode,
      policyDigest: policy.digest,
      code,
      retryAfterMs,
      redacted: redaction.redacted,
      approval,
    };
    try {
      const intent = this.#ledger.append({
        kind: "call.intent",
        session: session.id,
        agent: session.agent,
        callId,
        data: {
          tool: req.tool,
          args: redaction.args,
          redacted: redaction.redacted,
          rationale,
          intent: session.intent,
          principal: session.principal,
          decision: {
            effect: verdict.effect,
            enforced,
            ruleId: verdict.ruleId,
            reason: verdict.reason,
            code,
          },
          mode: policy.mode,
          policy: policy.digest,
          ...(traceparent ? { traceparent } : {}),
          ...(screening.logged.length > 0 ? { detections: screening.logged } : {}),
          ...(approval ? { approval: { id: approval.id, status: approval.status } } : {}),
        },
      });
      // Alerts and the approval request go into the same group-commit batch, after the intent record.
      const more = approvalRecord ? [approvalRecord, ...screening.alerts] : screening.alerts;
      await Promise.all([intent, ...more.map((a) => this.#ledger.append(a))]);
    } finally {
      this.#open.release(callId);
    }
    if (enforced === "allow")
      this.#open.add(callId, { session: session.id, agent: session.agent, tool: req.tool, traceparent });
    if (approval?.status === "pending") this.#approvals.announce(approval.id);
    return decision;
  }

  /**
   * Waits for a pending approval and returns the decision as it now stands: allowed, and open for its
   * outcome, once enough approvers said yes. Throws APPROVAL_DENIED (with the approver's reason),
   * APPROVAL_EXPIRED, or APPROVAL_MISMATCH when `args` (the arguments the caller is about to run with)
   * are not the ones approved. Nothing here runs the tool.
   */
  async awaitApproval(
    decision: GateDecision,
    options: { args?: unknown; traceparent?: string | null; signal?: AbortSignal } = {},
  ): Promise<GateDecision> {
    if (decision.approval?.status !== "pending") return decision;
    const view = await this.#waits.settled(decision, options);
    this.#open.add(decision.callId, {
      session: view.session,
      agent: view.agent,
      tool: view.tool,
      traceparent: traceparentOf(options.traceparent),
    });
    return { ...decision, enforced: "allow" };
  }

  /** The state of a call an HTTP agent asked about; waits up to `waitMs` while its approval is pending. */
  callState(callId: string, waitMs: number): Promise<CallState> {
    return this.#waits.callState(callId, waitMs);
  }

  /**
   * The detections stage (detect/): DLP, canaries, data flow, intent and behaviour drift. A finding can
   * only strengthen the verdict. Fail closed: if the stage itself breaks, the call is denied.
   */
  #runDetectors(
    callId: string,
    tool: string,
    args: JsonValue,
    session: SessionInfo,
    policy: CompiledPolicy,
    verdict: PolicyDecision,
  ): Screening {
    const input = {
      callId,
      tool,
      args,
      session: { id: session.id, agent: session.agent, intent: session.intent },
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
    return this.#execute(req, async (decision, injections): Promise<Awaited<R>> => {
      const result = await fn(this.#execution.context(decision.callId, injections));
      return this.#execution.screenResult(result, decision.session, req.tool);
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
    return this.#execute(
      req,
      async (decision, injections) => {
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
            {
              host: v.host,
              port: v.port,
              reason: v.reason,
            },
          );
        }
        return this.#execution.screenResult(
          {
            exitCode: result.exitCode,
            stdout: result.stdout,
            stderr: result.stderr,
            durationMs: result.durationMs,
            killed: result.killed,
          },
          decision.session,
          req.tool,
        );
      },
      true,
    );
  }

  /** decide → approval → secrets → run → outcome; the body runs only when everything before allowed it. */
  async #execute<R>(
    req: ToolCallRequest,
    body: (decision: GateDecision, injections: Injections) => Promise<R>,
    sandboxed = false,
  ): Promise<R> {
    let decision = await this.decide(req, sandboxed);
    if (decision.approval?.status === "pending") {
      decision = await this.awaitApproval(decision, { args: req.args ?? {}, traceparent: req.traceparent });
    }
    if (decision.enforced !== "allow") throw refusalError(decision);
    const started = performance.now();
    let result: R;
    try {
      // The session is read again only for a tool that gets secrets (their lease ends with it).
      const injections = await this.#execution.inject(req.tool, decision.callId, () =>
        this.#sessions.active(decision.session),
      );
      result = await body(decision, injections);
    } catch (err) {
      await this.recordOutcome(decision.callId, {
        status: "error",
        error: err,
        durationMs: performance.now() - started,
      });
      throw this.#execution.screenError(err, decision.session);
    }
    await this.recordOutcome(decision.callId, {
      status: "ok",
      result,
      durationMs: performance.now() - started,
    });
    return result;
  }

  /** Records what happened to an allowed call (for callers that run tools themselves). */
  async recordOutcome(callId: string, outcome: Outcome): Promise<void> {
    const call = this.#open.take(callId) ?? (await this.#openFromLedger(callId));
    try {
      await this.#ledger.append({
        kind: "call.outcome",
        session: call.session,
        agent: call.agent,
        callId,
        data: outcomeData(call, outcome),
      });
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

  async #claimCallId(requested: string | null | undefined): Promise<string> {
    if (requested === undefined || requested === null) return newId("call");
    if (typeof requested !== "string" || !CALLER_ID_PATTERN.test(requested)) {
      throw new WardenError("INVALID_REQUEST", "callId must be 1–128 characters of [A-Za-z0-9_.:-]");
    }
    // Reserved before the store lookup so two concurrent requests with one id cannot both pass.
    if (!this.#open.reserve(requested)) throw conflict(requested);
    const seen = await this.#ledger.store.query({ callId: requested, kinds: ["call.intent"], limit: 1 });
    if (seen.length > 0) {
      this.#open.release(requested);
      throw conflict(requested);
    }
    return requested;
  }

  /** An allowed call decided before a restart (or by another process) whose outcome is still missing. */
  async #openFromLedger(callId: string) {
    const records = await this.#ledger.store.query({ callId, kinds: ["call.intent", "call.outcome"] });
    const intent = records.find((r) => r.kind === "call.intent");
    if (!intent) throw new WardenError("CALL_NOT_FOUND", `no call ${callId}`);
    if (records.some((r) => r.kind === "call.outcome")) {
      throw new WardenError("CALL_ID_CONFLICT", `call ${callId} already has an outcome`);
    }
    const decision = intent.data.decision as { enforced?: string } | undefined;
    const approved = decision?.enforced === "ask" && (await this.#waits.approved(callId));
    if (decision?.enforced !== "allow" && !approved) {
      throw new WardenError("CALL_ID_CONFLICT", `call ${callId} was not allowed to run`);
    }
    return {
      session: intent.session ?? "",
      agent: intent.agent ?? "",
      tool: String(intent.data.tool),
      traceparent: typeof intent.data.traceparent === "string" ? intent.data.traceparent : null,
      startedAt: Date.parse(intent.ts),
    };
  }
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
  if (decision.code === "RATE_LIMITED") return new RateLimitedError(info, decision.retryAfterMs ?? 0);
  return new ToolDeniedError(info);
}
