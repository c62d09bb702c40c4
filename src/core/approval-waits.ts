// The waiting side of an approval: a call held until people decide, and an HTTP agent asking how its
// call stands. Every way out is checked against the approved digest and the session still being open.
import { type Approvals, type ApprovalView, approvalDigest } from "../approvals/index.js";
import { ApprovalDeniedError, ApprovalExpiredError, type RefusalInfo, WardenError } from "../errors.js";
import type { SessionRegistry } from "../identity/index.js";
import { toJsonValue } from "../json.js";
import { type LedgerStore, readRecord } from "../ledger/index.js";
import type { GateDecision } from "./request.js";

export interface CallState {
  decision: GateDecision["enforced"] | "expired";
  /** Why a `deny` came from no person: SESSION_ENDED when the call's session ended while it waited. */
  code: "SESSION_ENDED" | null;
  approval: ApprovalView | null;
}

export class ApprovalWaits {
  readonly #approvals: Approvals;
  readonly #sessions: SessionRegistry;
  readonly #store: LedgerStore;

  readonly #onSessionEnd: (listener: (session: string) => void) => () => void;

  constructor(deps: {
    approvals: Approvals;
    sessions: SessionRegistry;
    store: LedgerStore;
    /** Session ends, here or in another process: they end an HTTP agent's long poll at once. */
    onSessionEnd: (listener: (session: string) => void) => () => void;
  }) {
    this.#onSessionEnd = deps.onSessionEnd;
    this.#approvals = deps.approvals;
    this.#sessions = deps.sessions;
    this.#store = deps.store;
  }

  /** Waits for the decision's approval; returns it approved, or throws what the waiting call must throw. */
  async settled(
    decision: GateDecision,
    options: { args?: unknown; signal?: AbortSignal },
  ): Promise<ApprovalView> {
    const view = await this.#approvals.book.wait(decision.approval!.id, options.signal);
    await this.#refuseUnapproved(decision, view);
    if (options.args !== undefined) {
      const now = approvalDigest({
        tool: view.tool,
        args: toJsonValue(options.args),
        session: view.session,
        agent: view.agent,
        onBehalfOf: view.onBehalfOf,
        policy: view.policy,
      });
      if (now !== view.digest) {
        throw new WardenError(
          "APPROVAL_MISMATCH",
          `the arguments of call ${decision.callId} changed after they were approved`,
        );
      }
    }
    // An approval outlives nothing: a session that ended meanwhile runs no more calls.
    await this.#sessions.active(view.session);
    return view;
  }

  async callState(callId: string, waitMs: number): Promise<CallState> {
    const [found] = await this.#store.query({ callId, kinds: ["call.intent"], limit: 1 });
    if (!found) throw new WardenError("CALL_NOT_FOUND", `no call ${callId}`);
    // A malformed intent throws (LEDGER_RECORD_MALFORMED); one without `enforced` (the format's first) ran nothing.
    const enforced = readRecord(found, "call.intent").data.decision.enforced ?? "deny";
    if (enforced !== "ask") return { decision: enforced, code: null, approval: null };
    await this.#approvals.book.poll();
    let view = this.#approvals.book.byCall(callId);
    if (!view) throw new WardenError("APPROVAL_NOT_FOUND", `no approval for call ${callId}`);
    if (view.status === "pending" && waitMs > 0) view = await this.#waitWhileOpen(view, waitMs);
    if (view.status === "expired") {
      // Recording the expiry is refused if a decision reached the ledger first; that one then stands.
      await this.#approvals.expire(view.id).catch(() => undefined);
      view = this.#approvals.book.get(view.id) ?? view;
    }
    if (view.status === "approved") await this.#sessions.active(view.session);
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
    return { decision, code: view.status === "closed" ? "SESSION_ENDED" : null, approval: view };
  }

  /** The approval once decided, or as it is after `waitMs` or once its session ends (then it reads as closed). */
  async #waitWhileOpen(view: ApprovalView, waitMs: number): Promise<ApprovalView> {
    const ended = new AbortController();
    const unsubscribe = this.#onSessionEnd((session) => {
      if (session === view.session) ended.abort();
    });
    try {
      // An end before the subscription fires nothing: it is read once the subscription is on.
      if ((await this.#approvals.current(view)).status === "closed") return view;
      const stop = AbortSignal.any([AbortSignal.timeout(waitMs), ended.signal]);
      return await this.#approvals.book.wait(view.id, stop).catch(() => view);
    } finally {
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
