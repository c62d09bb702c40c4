// The pipeline of one tool call: identity → policy → detections → durable intent record → run → outcome record.
// This is the only file that knows the order of the stages.
import type { Detections, Screening } from "../detect/index.js";
import { digestJson } from "../digest.js";
import {
  ApprovalRequiredError,
  RateLimitedError,
  type RefusalInfo,
  ToolDeniedError,
  WardenError,
} from "../errors.js";
import type { SessionInfo, SessionRegistry } from "../identity/index.js";
import { CALLER_ID_PATTERN, newId } from "../ids.js";
import { type JsonObject, type JsonValue, toJsonValue } from "../json.js";
import type { Ledger } from "../ledger/index.js";
import { applyRedactions, type CompiledPolicy, type PolicyDecision } from "../policy/index.js";
import { traceparentOf } from "../trace.js";
import type { LivePolicy } from "./live-policy.js";
import { type OpenCall, OpenCalls } from "./open-calls.js";
import type { GateDecision, Outcome, ToolCallRequest } from "./request.js";

const TOOL_NAME = /^[\x21-\x7e]{1,256}$/;
const MAX_RATIONALE = 16 * 1024;

export class Gate {
  readonly #ledger: Ledger;
  readonly #sessions: SessionRegistry;
  readonly #policy: LivePolicy;
  readonly #detect: Detections;
  readonly #open = new OpenCalls();

  constructor(deps: { ledger: Ledger; sessions: SessionRegistry; policy: LivePolicy; detect: Detections }) {
    this.#ledger = deps.ledger;
    this.#sessions = deps.sessions;
    this.#policy = deps.policy;
    this.#detect = deps.detect;
  }

  /** Decides a call and makes its intent record durable. Never runs anything. */
  async decide(req: ToolCallRequest): Promise<GateDecision> {
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
    const enforced = policy.mode === "monitor" ? "allow" : verdict.effect;
    const redactPaths = policy.redactionsFor(req.tool);
    const redaction = applyRedactions(
      args,
      screening.redact.length > 0 ? [...redactPaths, ...screening.redact] : redactPaths,
    );

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
        },
      });
      // Alerts go into the same group-commit batch, after the intent record they name by call id.
      await Promise.all([intent, ...screening.alerts.map((a) => this.#ledger.append(a))]);
    } finally {
      this.#open.release(callId);
    }
    if (enforced === "allow")
      this.#open.add(callId, { session: session.id, agent: session.agent, tool: req.tool, traceparent });
    return decision;
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
  async run<R>(req: ToolCallRequest, fn: () => R | Promise<R>): Promise<Awaited<R>> {
    const decision = await this.decide(req);
    if (decision.enforced !== "allow") throw refusalError(decision);
    const started = performance.now();
    let result: Awaited<R>;
    try {
      result = await fn();
    } catch (err) {
      await this.recordOutcome(decision.callId, {
        status: "error",
        error: err,
        durationMs: performance.now() - started,
      });
      throw err;
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
    if (decision?.enforced !== "allow") {
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

/** The error a refused call throws in the library. */
export function refusalError(decision: GateDecision): WardenError {
  const info: RefusalInfo = {
    callId: decision.callId,
    tool: decision.tool,
    ruleId: decision.ruleId,
    reason: decision.reason,
  };
  if (decision.code === "RATE_LIMITED") return new RateLimitedError(info, decision.retryAfterMs ?? 0);
  if (decision.enforced === "ask") return new ApprovalRequiredError(info);
  return new ToolDeniedError(info);
}

function outcomeData(call: OpenCall, outcome: Outcome) {
  const { tool } = call;
  const durationMs = Math.round((outcome.durationMs ?? Date.now() - call.startedAt) * 1000) / 1000;
  // The outcome carries the trace too: an exported span is built from the record that ends the call.
  const trace: JsonObject = call.traceparent ? { traceparent: call.traceparent } : {};
  if (outcome.status === "ok") {
    return { tool, status: "ok", durationMs, result: resultDigest(outcome.result), error: null, ...trace };
  }
  return {
    tool,
    status: "error",
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
