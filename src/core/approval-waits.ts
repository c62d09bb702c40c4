// The waiting side of an approval: a call held until people decide, and an HTTP agent asking how its
// call stands. Every way out is checked against the approved digest and the session still being open.
import { type Approvals, type ApprovalView, approvalDigest } from "../approvals/index.js";
import {
  ApprovalDeniedError,
  ApprovalExpiredError,
  ApprovalMismatchError,
  type RefusalInfo,
  ToolDeniedError,
  WardenError,
} from "../errors.js";
import type { SessionInfo, SessionRegistry } from "../identity/index.js";
import { toJsonValue } from "../json.js";
import { type LedgerRecord, type LedgerStore, readRecord } from "../ledger/index.js";
import type { CompiledPolicy } from "../policy/index.js";
import { policyVerdict } from "./policy-verdict.js";
import type { GateDecision } from "./request.js";

export interface CallState {
  decision: GateDecision["enforced"] | "expired";
  /**
   * Why a `deny` came from no person: SESSION_ENDED when the call's session ended while it waited,
   * TOOL_DENIED when the policy was reloaded meanwhile and no longer lets the approved call through.
   */
  code: "SESSION_ENDED" | "TOOL_DENIED" | null;
  /** The refusal's reason for TOOL_DENIED; null otherwise. */
  reason: string | null;
  approval: ApprovalView | null;
}

/** What refused an approved call because the policy in force changed while it waited. */
const CHANGED = "the policy changed while the call waited";

export class ApprovalWaits {
  readonly #approvals: Approvals;
  readonly #sessions: SessionRegistry;
  readonly #store: LedgerStore;
  readonly #policy: { readonly current: CompiledPolicy };

  readonly #onSessionEnd: (listener: (session: string) => void) => () => void;
  readonly #recordRefused: (callId: string, refusal: WardenError) => Promise<void>;

  constructor(deps: {
    approvals: Approvals;
    sessions: SessionRegistry;
    store: LedgerStore;
    /** Session ends, here or in another process: they end an HTTP agent's long poll at once. */
    onSessionEnd: (listener: (session: string) => void) => () => void;
    /**
     * The policy in force (LivePolicy): an approved call is checked against it when it was reloaded
     * while the call waited.
     */
    policy: { readonly current: CompiledPolicy };
    /**
     * Records the end of an approved call the reloaded policy refuses (its outcome: TOOL_DENIED), so the
     * ledger does not show an approved call with nothing after it; once, however often it is asked.
     */
    recordRefused?: (callId: string, refusal: WardenError) => Promise<void>;
  }) {
    this.#onSessionEnd = deps.onSessionEnd;
    this.#recordRefused = deps.recordRefused ?? (async () => undefined);
    this.#approvals = deps.approvals;
    this.#sessions = deps.sessions;
    this.#store = deps.store;
    this.#policy = deps.policy;
  }

  /** APPROVAL_MISMATCH unless `args` (when given) are the ones the approval was asked for. */
  #checkArgs(decision: GateDecision, view: ApprovalView, args: unknown): void {
    if (args === undefined) return;
    const digest = approvalDigest({
      tool: view.tool,
      args: toJsonValue(args),
      session: view.session,
      agent: view.agent,
      onBehalfOf: view.onBehalfOf,
      policy: view.policy,
    });
    if (digest !== view.digest) throw new ApprovalMismatchError(decision.callId, view.tool);
  }

  /** Waits for the decision's approval; returns it approved, or throws what the waiting call must throw. */
  async settled(
    decision: GateDecision,
    options: { args?: unknown; signal?: AbortSignal },
  ): Promise<ApprovalView> {
    // Other arguments are refused at once, before anyone waits on the approval, and again once it is
    // decided (the book may not have held the request yet).
    const asked = this.#approvals.book.get(decision.approval!.id);
    if (asked !== null) {
      checkCall(decision, asked);
      this.#checkArgs(decision, asked, options.args);
    }
    const view = await this.#approvals.book.wait(decision.approval!.id, options.signal);
    checkCall(decision, view);
    await this.#refuseUnapproved(decision, view);
    this.#checkArgs(decision, view, options.args);
    // An approval outlives nothing: a session that ended meanwhile runs no more calls.
    const session = await this.#sessions.active(view.session);
    const refused = await this.#policyRefusal(view, session, options.args);
    if (refused) {
      const refusal = new ToolDeniedError({ callId: decision.callId, tool: view.tool, ...refused });
      await this.#recordRefused(decision.callId, refusal);
      throw refusal;
    }
    return view;
  }

  async callState(callId: string, waitMs: number): Promise<CallState> {
    const [found] = await this.#store.query({ callId, kinds: ["call.intent"], limit: 1 });
    if (!found) throw new WardenError("CALL_NOT_FOUND", `no call ${callId}`);
    // A malformed intent throws (LEDGER_RECORD_MALFORMED); one without `enforced` (the format's first) ran nothing.
    const enforced = readRecord(found, "call.intent").data.decision.enforced ?? "deny";
    if (enforced !== "ask") return { decision: enforced, code: null, reason: null, approval: null };
    await this.#approvals.book.poll();
    let view = this.#approvals.book.byCall(callId);
    if (!view) throw new WardenError("APPROVAL_NOT_FOUND", `no approval for call ${callId}`);
    if (view.status === "pending" && waitMs > 0) view = await this.#waitWhileOpen(view, waitMs);
    if (view.status === "expired") {
      // Recording the expiry is refused if a decision reached the ledger first; that one then stands.
      await this.#approvals.expire(view.id).catch(() => undefined);
      view = this.#approvals.book.get(view.id) ?? view;
    }
    if (view.status === "approved") {
      const session = await this.#sessions.active(view.session);
      // The HTTP agent runs the call itself once told allow: the check happens here, on the recorded args.
      const refused =
        (await this.#policyRefusal(view, session, undefined, found)) ?? (await this.#refusedEarlier(callId));
      if (refused) {
        await this.#recordRefused(callId, new ToolDeniedError({ callId, tool: view.tool, ...refused }));
        return { decision: "deny", code: "TOOL_DENIED", reason: refused.reason, approval: view };
      }
    }
    // A pending approval of an ended session is closed: nothing will run, so the caller is told deny.
    view = await this.#approvals.current(view);
    const decision =
      view.status === "approved"
        ? "allow"
        : view.status === "denied" || view.status === "closed"
          ? "deny"
          : view.status === "expired"
            ? "expired"
            : "ask";
    const code = view.status === "closed" ? "SESSION_ENDED" : null;
    return { decision, code, reason: null, approval: view };
  }

  /**
   * Null when the policy in force still lets the approved call through: it is the policy that asked,
   * or it allows the call, or it asks the same question (same rule, same approvers). Otherwise the
   * refusal: a reload that denies the call, or asks more of it, is not overruled by an older approval.
   * `args` are the arguments about to run (their digest already checked); without them the recorded
   * ones are used, unless a redaction hid some (then the call cannot be checked again: refused).
   */
  async #policyRefusal(
    view: ApprovalView,
    session: SessionInfo,
    args: unknown,
    intent?: LedgerRecord,
  ): Promise<{ ruleId: string | null; reason: string } | null> {
    const policy = this.#policy.current;
    if (policy.digest === view.policy) return null;
    if (args === undefined && view.redacted.length > 0) {
      return { ruleId: null, reason: `${CHANGED}, and its redacted arguments cannot be checked again` };
    }
    const [record] = intent
      ? [intent]
      : await this.#store.query({ callId: view.callId, kinds: ["call.intent"], limit: 1 });
    const runner = record ? readRecord(record, "call.intent").data.runner : undefined;
    const verdict = policyVerdict(policy, {
      tool: view.tool,
      args: args === undefined ? view.args : toJsonValue(args),
      session,
      runner: runner ?? "here",
    });
    if (policy.mode === "monitor" || verdict.effect === "allow") return null;
    if (verdict.effect === "ask") {
      const s = policy.approvalFor(verdict.ruleId);
      const same =
        verdict.ruleId === view.ruleId &&
        s.approvers === view.required &&
        s.selfApproval === view.selfApproval &&
        (s.excludeDeveloper ? session.developer : null) === view.developer &&
        sameSet(s.by, view.by);
      if (same) return null;
      return {
        ruleId: verdict.ruleId,
        reason: `${CHANGED}; it now needs another approval: ${verdict.reason}`,
      };
    }
    return { ruleId: verdict.ruleId, reason: `${CHANGED}: ${verdict.reason}` };
  }

  /**
   * The refusal an approved call already ended with (its outcome: TOOL_DENIED), wherever it was refused:
   * another Warden on the ledger may have reloaded a policy that refuses it while this one has not yet.
   * (A run that ended in a refusal of its own is over too: either way the call runs no more.)
   */
  async #refusedEarlier(callId: string): Promise<{ ruleId: null; reason: string } | null> {
    const [outcome] = await this.#store.query({ callId, kinds: ["call.outcome"], limit: 1 });
    if (!outcome) return null;
    const { status, error } = readRecord(outcome, "call.outcome").data;
    if (status !== "error" || error?.code !== "TOOL_DENIED") return null;
    return { ruleId: null, reason: "the call was refused after its approval (TOOL_DENIED); it will not run" };
  }

  /** The approval once decided, or as it is after `waitMs` or once its session ends (then it reads as closed). */
  async #waitWhileOpen(view: ApprovalView, waitMs: number): Promise<ApprovalView> {
    // One controller for both ways out, its timer held here: under Node 20 an AbortSignal.timeout()
    // inside AbortSignal.any() could be collected before it fired, leaving the poll hanging.
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), waitMs);
    const unsubscribe = this.#onSessionEnd((session) => {
      if (session === view.session) stop.abort();
    });
    try {
      // An end before the subscription fires nothing: it is read once the subscription is on.
      if ((await this.#approvals.current(view)).status === "closed") return view;
      return await this.#approvals.book.wait(view.id, stop.signal).catch(() => view);
    } finally {
      clearTimeout(timer);
      unsubscribe();
    }
  }

  /** Whether an asked call was approved and its session is still open (for an outcome recorded later). */
  async approved(callId: string): Promise<boolean> {
    await this.#approvals.book.poll();
    const view = this.#approvals.book.byCall(callId);
    if (view?.status !== "approved") return false;
    await this.#sessions.active(view.session);
    return true;
  }

  /** Turns a final approval other than "approved" into the error the waiting call throws. */
  async #refuseUnapproved(decision: GateDecision, view: ApprovalView): Promise<void> {
    const info: RefusalInfo = {
      callId: decision.callId,
      tool: decision.tool,
      ruleId: decision.ruleId,
      reason: decision.reason,
    };
    if (view.status === "denied") {
      const deny = view.decisions.find((d) => d.decision === "deny");
      throw new ApprovalDeniedError(info, view.id, deny?.reason ?? null);
    }
    if (view.status !== "approved") {
      // Best effort: the deadline alone already makes the approval expired for every reader.
      await this.#approvals.expire(view.id).catch(() => undefined);
      throw new ApprovalExpiredError(info, view.id);
    }
  }
}

/**
 * An approval answers the one call it was asked for: a decision that names another call's approval
 * (copied, or put together by hand) would let one person's yes run a second call, under an id whose
 * arguments nobody approved. Refused before anything waits or runs.
 */
function checkCall(decision: GateDecision, view: ApprovalView): void {
  if (view.callId === decision.callId && view.session === decision.session && view.tool === decision.tool)
    return;
  throw new WardenError(
    "APPROVAL_MISMATCH",
    `approval ${view.id} was asked for another call than ${decision.callId}; it did not run`,
    { callId: decision.callId, tool: decision.tool },
  );
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((x) => right.has(x));
}
