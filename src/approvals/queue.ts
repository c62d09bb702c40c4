// The approval queue: an `ask` becomes a pending approval in the ledger, people decide it, the waiting
// call learns the result. State is the ledger's (see book.ts), so it survives restarts and is shared.

import { compileGlobs } from "../config/index.js";
import { WardenError } from "../errors.js";
import { newId } from "../ids.js";
import type { JsonValue } from "../json.js";
import type { ApprovalDecisionData, Ledger, RecordInput } from "../ledger/index.js";
import { personKey } from "../people.js";
import { ApprovalBook } from "./book.js";
import { callerState, THIS_PROCESS } from "./caller.js";
import type { ApprovalSettings } from "./config.js";
import { approvalDigest, rememberKey, rememberPaths } from "./digest.js";
import type { HeldApproval, HeldArgs, HeldArgsRead } from "./held-args/index.js";
import { type ApprovalView, type RememberScope, requestData } from "./state.js";

/** Who decides, as the entry point authenticated them. */
export interface Approver {
  /** The token's name (a person), or the name a verified integration vouches for. */
  name: string;
  role: "approver" | "admin" | "agent" | "auditor";
  /** dashboard, api, cli, webhook:<integration>. */
  via: string;
}

export interface DecisionInput {
  decision: "approve" | "deny";
  approver: Approver;
  reason?: string | null;
  /** Approve only: remember for the rest of the session, or for this many ms (once when absent). */
  remember?: "once" | "session" | number | null;
  /** The digest the approver was shown; a different one is refused (APPROVAL_MISMATCH). */
  digest?: string | null;
}

/** The call an `ask` is about, as the gate has it. */
export interface AskedCall {
  callId: string;
  session: string;
  agent: string;
  onBehalfOf: string;
  intent: string;
  tool: string;
  /** The arguments the call will run with (bound by the digest). */
  args: JsonValue;
  /** The arguments as the ledger keeps them (redacted). */
  recordedArgs: JsonValue;
  /**
   * What deciders may read while the approval is pending: the arguments with the policy's `redact:`
   * values in clear (credentials DLP found stay digests). Null when the policy redacted nothing.
   */
  shownArgs: JsonValue | null;
  redacted: string[];
  rationale: string | null;
  ruleId: string;
  reason: string;
  policy: string;
  settings: ApprovalSettings;
  /** "here": this process waits and would run the tool; "remote": the caller runs it itself (HTTP). */
  caller: "here" | "remote";
  /** The agent's registered developer (policy `agents:`), null when the agent is not registered. */
  developer: string | null;
}

const MAX_REASON = 2_000;

export interface SessionEnd {
  at: string;
  reason: string | null;
}

export class Approvals {
  readonly book: ApprovalBook;
  readonly #ledger: Ledger;
  readonly #maxRememberMs: () => number;
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #announce: ((view: ApprovalView) => void) | null;
  /** Sealed arguments of pending approvals; null where the store cannot keep them (then digests only). */
  readonly held: HeldArgs | null;
  #unsubscribe: (() => void) | null = null;
  readonly #settled = new Set<(view: ApprovalView, decidedHere: boolean) => void>();
  /** Approvals whose decision this process is writing: the settle that follows was decided here. */
  readonly #decidingHere = new Set<string>();

  readonly #sessionEnd: (session: string) => Promise<SessionEnd | null>;
  /** Ends are final: once read, a session's end is not read again. */
  readonly #ended = new Map<string, SessionEnd>();

  constructor(deps: {
    ledger: Ledger;
    maxRememberMs: () => number;
    announce?: (view: ApprovalView) => void;
    /** When and why the session ended, null while open: an ended session's approvals are closed. */
    sessionEnd?: (session: string) => Promise<SessionEnd | null>;
    held?: HeldArgs | null;
  }) {
    this.#sessionEnd = deps.sessionEnd ?? (async () => null);
    this.#ledger = deps.ledger;
    this.held = deps.held ?? null;
    this.book = new ApprovalBook(deps.ledger.store, {
      onDeadline: (id) => this.expire(id),
      // A decided approval's arguments go at once, whichever process decided it; a failed delete is
      // retried by the deadline sweep, and reads past the deadline find nothing meanwhile.
      onSettled: (view) => {
        void this.held?.release(view.id).catch(() => undefined);
        const here = this.#decidingHere.delete(view.id);
        for (const listener of this.#settled) listener(view, here);
      },
    });
    this.#maxRememberMs = deps.maxRememberMs;
    this.#announce = deps.announce ?? null;
  }

  async start(): Promise<void> {
    this.#unsubscribe = this.#ledger.onAppend((records) => {
      for (const r of records)
        if (r.kind === "approval.request" || r.kind === "approval.decision") this.book.apply(r);
    });
    await this.book.start();
    this.held?.start();
  }

  stop(): void {
    this.#unsubscribe?.();
    this.book.stop();
    this.held?.stop();
  }

  /**
   * Calls `listener` once with each approval that gets its final decision, read here or from another
   * process; `decidedHere` when this process wrote the final decision.
   */
  onSettled(listener: (view: ApprovalView, decidedHere: boolean) => void): () => void {
    this.#settled.add(listener);
    return () => this.#settled.delete(listener);
  }

  /**
   * Seals what deciders may read of a new approval, before its request record is written (the gate
   * awaits it: an approval is never asked for with arguments its approvers could not read).
   */
  async hold(approval: HeldApproval, shownArgs: JsonValue): Promise<void> {
    await this.held?.hold(approval, shownArgs);
  }

  /** Drops held arguments whose approval was not recorded after all (the ledger write failed). */
  async release(approvalId: string): Promise<void> {
    await this.held?.release(approvalId);
  }

  /**
   * The held arguments of `view` for `reader`: only someone this approval accepts as a decider
   * (deciderRefusal: role, `by`, not the user acted for nor the agent's developer) reads them, and only
   * while it is pending; anyone else gets null.
   */
  async heldArgsFor(
    view: ApprovalView,
    reader: Pick<Approver, "name" | "role">,
  ): Promise<HeldArgsRead | null> {
    if (!this.held || view.status !== "pending" || deciderRefusal(view, reader) !== null) return null;
    return this.held.read(view.id);
  }

  /** The key and any remembered approval that already covers this call. */
  remembered(call: AskedCall): { key: string; approvalId: string | null } {
    const key = rememberKey(call.tool, call.args, rememberPaths(call.settings));
    const grant = this.book.grantFor({
      session: call.session,
      agent: call.agent,
      onBehalfOf: call.onBehalfOf,
      ruleId: call.ruleId,
      rememberKey: key,
      policy: call.policy,
    });
    return { key, approvalId: grant?.approvalId ?? null };
  }

  /**
   * The `approval.request` record for a new pending approval (the gate appends it with the intent). It
   * counts as pending in its session from now on (ApprovalBook.pendingIn); if the record is not
   * appended after all, `abandon` stops that.
   */
  request(
    call: AskedCall,
    key: string,
    now = Date.now(),
  ): { id: string; digest: string; expiresAt: string; record: RecordInput } {
    const id = newId("apr");
    const digest = approvalDigest(call);
    const expiresAt = new Date(now + call.settings.timeoutMs).toISOString();
    const data = requestData({
      id,
      onBehalfOf: call.onBehalfOf,
      intent: call.intent,
      tool: call.tool,
      args: call.recordedArgs,
      redacted: call.redacted,
      rationale: call.rationale,
      ruleId: call.ruleId,
      reason: call.reason,
      policy: call.policy,
      digest,
      required: call.settings.approvers,
      by: [...call.settings.by],
      selfApproval: call.settings.selfApproval,
      developer: call.settings.excludeDeveloper ? call.developer : null,
      caller: call.caller === "here" ? THIS_PROCESS : null,
      rememberKey: key,
      rememberPaths: rememberPaths(call.settings),
      expiresAt,
    });
    const record: RecordInput = {
      kind: "approval.request",
      session: call.session,
      agent: call.agent,
      callId: call.callId,
      data,
    };
    this.book.reserve(call.session, id);
    return { id, digest, expiresAt, record };
  }

  /** An approval `request` made whose record was not appended (the ledger write failed). */
  abandon(session: string, approvalId: string): void {
    this.book.unreserve(session, approvalId);
  }

  /**
   * The approval as a reader should see it now: a pending one whose session ended is closed (with the
   * session's end), and a pending one says whether its waiting caller is still there.
   */
  async current(view: ApprovalView): Promise<ApprovalView> {
    if (view.status !== "pending") return view;
    const ended = await this.#endOf(view.session);
    if (ended !== null) {
      return {
        ...view,
        status: "closed",
        closed: { at: ended.at, reason: `session ended${ended.reason ? `: ${ended.reason}` : ""}` },
      };
    }
    return { ...view, callerState: callerState(view.caller) };
  }

  async #endOf(session: string): Promise<SessionEnd | null> {
    const known = this.#ended.get(session);
    if (known) return known;
    const end = await this.#sessionEnd(session);
    if (end !== null) {
      if (this.#ended.size >= 10_000) this.#ended.clear();
      this.#ended.set(session, end);
    }
    return end;
  }

  /** Tells the notifier (webhooks) about an approval whose request is durable. */
  announce(id: string): void {
    const view = this.book.get(id);
    if (view && this.#announce) this.#announce(view);
  }

  /**
   * Records one person's decision. Refused: unknown (APPROVAL_NOT_FOUND), no longer pending
   * (APPROVAL_CLOSED / APPROVAL_EXPIRED), another digest (APPROVAL_MISMATCH), a role or person the
   * approval does not accept, the prompting user on their own agent's call, or a second answer from
   * the same person (FORBIDDEN / APPROVAL_CLOSED). The decision is durable before it counts.
   */
  decide(id: string, input: DecisionInput): Promise<ApprovalView> {
    // One decision per approval at a time in this process, so two clicks cannot both pass the checks.
    const previous = this.#locks.get(id) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(() => this.#decide(id, input));
    this.#locks.set(id, next);
    void next
      .finally(() => {
        if (this.#locks.get(id) === next) this.#locks.delete(id);
      })
      .catch(() => {});
    return next;
  }

  async #decide(id: string, input: DecisionInput): Promise<ApprovalView> {
    // Decisions of other processes arrive by polling; one that lands between two polls is folded in
    // by the same rules (one deny denies, each person counts once). An approval asked for elsewhere
    // since the last poll is read now.
    let view = this.book.get(id);
    if (!view) {
      await this.book.poll();
      view = this.book.get(id);
    }
    if (input.approver.role !== "approver" && input.approver.role !== "admin") {
      throw new WardenError("FORBIDDEN", `a ${input.approver.role} cannot decide approvals`);
    }
    if (!view) throw new WardenError("APPROVAL_NOT_FOUND", `no approval ${id}`);
    if (view.status === "expired")
      throw new WardenError("APPROVAL_EXPIRED", `approval ${id} expired at ${view.expiresAt}`);
    if (view.status !== "pending")
      throw new WardenError("APPROVAL_CLOSED", `approval ${id} is already ${view.status}`);
    const ended = await this.#endOf(view.session);
    if (ended !== null) {
      throw new WardenError(
        "APPROVAL_CLOSED",
        `the session of approval ${id} has ended${ended.reason ? ` (${ended.reason})` : ""}`,
      );
    }
    if (input.digest != null && input.digest !== view.digest) {
      throw new WardenError(
        "APPROVAL_MISMATCH",
        "the call was not the one shown to the approver (digest differs)",
      );
    }
    checkApprover(view, input.approver);
    const reason = input.reason?.trim() ? input.reason.trim().slice(0, MAX_REASON) : null;
    if (input.decision === "deny" && reason === null) {
      throw new WardenError("INVALID_REQUEST", "a denial needs a reason (it goes back to the agent)");
    }
    const remember = input.decision === "approve" ? this.#rememberScope(input.remember ?? null) : null;
    await this.#record(view, {
      decision: input.decision,
      approver: input.approver.name,
      role: input.approver.role,
      via: input.approver.via,
      reason,
      remember,
    });
    return this.book.get(id)!;
  }

  /**
   * Records that nobody decided in time, unless a decision got into the ledger first: then that one
   * stands, and the book reads it. Either way the book then tells the approval as the ledger has it.
   */
  async expire(id: string): Promise<void> {
    const view = this.book.get(id);
    if (view?.status !== "expired" || view.decisions.some((d) => d.decision === "expire")) return;
    await this.#record(view, {
      decision: "expire",
      approver: null,
      role: null,
      via: "timeout",
      reason: null,
      remember: null,
    });
  }

  /**
   * One `approval.decision` record, bound to the approval's digest. The store takes it only while the
   * approval has no final decision in the ledger (whoever wrote it) and from a person who has not
   * decided yet; a refusal means another decision came first, which the book then reads.
   */
  async #record(
    view: ApprovalView,
    decision: Omit<ApprovalDecisionData, "approvalId" | "digest" | "required" | "expiresAt">,
  ): Promise<void> {
    this.#decidingHere.add(view.id);
    try {
      await this.#ledger.append({
        kind: "approval.decision",
        session: view.session,
        agent: view.agent,
        callId: view.callId,
        data: {
          approvalId: view.id,
          digest: view.digest,
          ...decision,
          required: view.required,
          expiresAt: view.expiresAt,
        },
      });
      // Not final (more approvers needed): the decision that settles it may come from elsewhere.
      if (this.book.get(view.id)?.status === "pending") this.#decidingHere.delete(view.id);
    } catch (err) {
      this.#decidingHere.delete(view.id);
      if (err instanceof WardenError && (err.code === "APPROVAL_CLOSED" || err.code === "APPROVAL_EXPIRED")) {
        await this.book.poll().catch(() => undefined);
      }
      throw err;
    }
  }

  #rememberScope(remember: DecisionInput["remember"]): RememberScope | null {
    if (remember === null || remember === undefined || remember === "once") return null;
    if (remember === "session") return { scope: "session" };
    const max = this.#maxRememberMs();
    if (!Number.isFinite(remember) || remember <= 0 || remember > max) {
      throw new WardenError(
        "INVALID_REQUEST",
        `remember must be once, session or a duration up to ${max / 60_000} minutes`,
      );
    }
    return { scope: "time", until: new Date(Date.now() + remember).toISOString() };
  }
}

/** Whether the approval accepts this person as a decider at all: an approver or admin whom `by` names. */
export function mayDecide(view: Pick<ApprovalView, "by">, person: Pick<Approver, "name" | "role">): boolean {
  if (person.role !== "approver" && person.role !== "admin") return false;
  const roleEntries = view.by.filter((b) => b.startsWith("role:")).map((b) => b.slice(5));
  const names = view.by.filter((b) => !b.startsWith("role:"));
  return roleEntries.includes(person.role) || (names.length > 0 && compileGlobs(names)(person.name));
}

/**
 * Why this person is not a decider of this approval, or null: never an agent or an auditor, only who
 * `by` names, never the user the agent acts for (unless selfApproval) nor the agent's developer. Held
 * arguments are shown to exactly the people this accepts.
 */
export function deciderRefusal(
  view: ApprovalView,
  person: Pick<Approver, "name" | "role">,
): WardenError | null {
  if (person.role !== "approver" && person.role !== "admin") {
    return new WardenError("FORBIDDEN", `a ${person.role} cannot decide approvals`);
  }
  if (!mayDecide(view, person)) {
    return new WardenError(
      "FORBIDDEN",
      `${person.name} may not decide this approval (allowed: ${view.by.join(", ")})`,
    );
  }
  // People are compared as personKey spells them: case, spacing and look-alike letters do not make
  // another person.
  const name = personKey(person.name);
  if (!view.selfApproval && name === personKey(view.onBehalfOf)) {
    return new WardenError("FORBIDDEN", "the user the agent acts for cannot approve their own agent's call");
  }
  if (view.developer !== null && name === personKey(view.developer)) {
    return new WardenError("FORBIDDEN", "the agent's registered developer cannot approve that agent's calls");
  }
  return null;
}

/** Who may decide this approval (deciderRefusal), once. */
export function checkApprover(view: ApprovalView, approver: Approver): void {
  const refusal = deciderRefusal(view, approver);
  if (refusal) throw refusal;
  const name = personKey(approver.name);
  if (view.decisions.some((d) => d.approver !== null && personKey(d.approver) === name)) {
    throw new WardenError("APPROVAL_CLOSED", `${approver.name} has already decided this approval`);
  }
}
