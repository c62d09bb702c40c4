// The approvals this process knows of, kept current from the ledger: its own records at once, other
// processes' (the CLI, other instances) by polling. Waiting calls are woken from here.
import { APPROVAL_KINDS, type LedgerRecord, type LedgerStore, ReadWindow } from "../ledger/index.js";
import { type ApprovalView, fromDecisionRecord, fromRequestRecord, grantOf, statusOf } from "./state.js";

/** How far back a new process looks for approvals still pending or remembered. */
export const LOOKBACK_MS = 7 * 24 * 3_600_000;
const POLL_MS = 200;
const PAGE = 1_000;

export interface Grant {
  approvalId: string;
  session: string;
  agent: string;
  onBehalfOf: string;
  ruleId: string;
  rememberKey: string;
  /** Digest of the policy that asked: the grant answers that policy's question only. */
  policy: string;
  /** ms since epoch; Infinity for "rest of the session". */
  until: number;
}

type Waiter = (view: ApprovalView) => void;

export class ApprovalBook {
  readonly #store: LedgerStore;
  readonly #byId = new Map<string, ApprovalView>();
  readonly #byCall = new Map<string, string>();
  /** Early decisions whose request record this process has not read yet (another writer's chain). */
  readonly #orphans = new Map<string, LedgerRecord[]>();
  readonly #grants = new Map<string, Grant[]>();
  readonly #waiters = new Map<string, Set<Waiter>>();
  /**
   * Per session, the ids of its approvals still pending, and of those this process is asking for whose
   * request is not recorded yet (reserve): what approvals.maxPendingPerSession counts.
   */
  readonly #pendingBySession = new Map<string, Set<string>>();
  readonly #window: ReadWindow;
  #timer: NodeJS.Timeout | null = null;
  #polling: Promise<void> | null = null;
  /** The read after the one under way, shared by every caller that asked while it ran. */
  #nextPoll: Promise<void> | null = null;
  /** The store's change stamp when the last poll read everything new; null: the next poll reads. */
  #readAt: number | null = null;

  readonly #onDeadline: (id: string) => Promise<void>;
  readonly #onSettled: (view: ApprovalView) => void;
  readonly #told = new WeakSet<ApprovalView>();

  /**
   * `onDeadline` records the expiry of an approval whose waiting call reached its deadline; the ledger
   * may refuse it because a decision came first, and the call then gets that decision. `onSettled`
   * hears of each approval once the ledger holds its final decision (approved, denied, expired).
   */
  constructor(
    store: LedgerStore,
    options: { onDeadline?: (id: string) => Promise<void>; onSettled?: (view: ApprovalView) => void } = {},
    now = Date.now(),
  ) {
    this.#store = store;
    this.#onDeadline = options.onDeadline ?? (async () => {});
    this.#onSettled = options.onSettled ?? (() => {});
    this.#window = new ReadWindow(now - LOOKBACK_MS);
  }

  /** Reads what the ledger already holds, then keeps polling for records other processes write. */
  async start(): Promise<void> {
    await this.poll();
    this.#timer = setInterval(() => void this.poll().catch(() => {}), POLL_MS);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /**
   * Reads new approval records: once it resolves, the book holds everything committed before the call.
   * A read already under way may have started before a record its caller must see (a decider told of
   * an approval just asked for elsewhere), so a caller arriving meanwhile gets the next read, which all
   * such callers share.
   */
  poll(): Promise<void> {
    if (this.#polling === null) return this.#read();
    this.#nextPoll ??= this.#polling
      .catch(() => undefined)
      .then(() => {
        this.#nextPoll = null;
        return this.#read();
      });
    return this.#nextPoll;
  }

  #read(): Promise<void> {
    const reading = this.#readNew().finally(() => {
      if (this.#polling === reading) this.#polling = null;
    });
    this.#polling = reading;
    return reading;
  }

  async #readNew(): Promise<void> {
    // This process's own records arrive through apply(); a poll is for other processes' writes, and
    // where the store can tell that nobody else committed since the last full read, there is none.
    const stamp = this.#store.changeStamp?.() ?? null;
    if (stamp !== null && stamp === this.#readAt) {
      this.#prune(Date.now());
      return;
    }
    this.#readAt = null;
    let since = this.#window.since;
    let newest: string | null = null;
    let complete = true;
    for (;;) {
      const page = await this.#store.query({ kinds: [...APPROVAL_KINDS], since, limit: PAGE });
      for (const r of page) this.apply(r);
      const last = page.at(-1);
      if (last) newest = last.ts;
      if (!last || page.length < PAGE) break;
      // A full page of one timestamp cannot be paged by time: the next poll reads past it.
      if (last.ts === since) {
        complete = false;
        break;
      }
      since = last.ts;
    }
    if (newest !== null) this.#advance(newest);
    if (complete) this.#readAt = stamp;
    this.#prune(Date.now());
  }

  /** Decided approvals leave memory a day after their deadline (the ledger keeps them). */
  #prune(now: number): void {
    for (const [id, view] of this.#byId) {
      if (view.status === "pending" || Date.parse(view.expiresAt) > now - 86_400_000) continue;
      this.#byId.delete(id);
      this.#byCall.delete(view.callId);
    }
  }

  /** The next poll starts a few seconds before the newest record read (see ReadWindow). */
  #advance(ts: string): void {
    this.#window.moveTo(Date.parse(ts) - 5_000);
  }

  /** Folds one record in; a record seen before (by chain and seq) is ignored. */
  apply(record: LedgerRecord): void {
    if (!this.#window.isNew(record)) return;
    if (record.kind === "approval.request") {
      const view = fromRequestRecord(record);
      if (!view || this.#byId.has(view.id)) return;
      this.#byId.set(view.id, view);
      this.#byCall.set(view.callId, view.id);
      this.#addPending(view.session, view.id);
      for (const early of this.#orphans.get(view.id) ?? []) this.#applyDecision(early);
      this.#orphans.delete(view.id);
      this.#settle(view);
    } else if (record.kind === "approval.decision") {
      this.#applyDecision(record);
    }
  }

  #applyDecision(record: LedgerRecord): void {
    const parsed = fromDecisionRecord(record);
    if (!parsed) return;
    const view = this.#byId.get(parsed.approvalId);
    if (!view) {
      const list = this.#orphans.get(parsed.approvalId) ?? [];
      list.push(record);
      this.#orphans.set(parsed.approvalId, list);
      return;
    }
    view.decisions.push(parsed.decision);
    this.#settle(view);
  }

  /**
   * Recomputes the status; a decision in the ledger wakes the waiters and may leave a remembered grant.
   * A deadline that passed with no decision recorded reads as expired, but a decision the ledger took
   * before it (read late from another process) still settles the approval; waiters are woken by their
   * own deadline, which records the expiry first.
   */
  #settle(view: ApprovalView, now = Date.now()): void {
    if (view.status === "approved" || view.status === "denied") return;
    if (view.status === "expired" && view.decisions.some((d) => d.decision === "expire")) {
      // Read as expired by the clock first, its expiry record arrived now.
      this.#tellSettled(view);
      return;
    }
    view.status = statusOf(view, now);
    if (view.status === "pending") return;
    this.#dropPending(view.session, view.id);
    if (view.status === "expired" && !view.decisions.some((d) => d.decision === "expire")) return;
    const grant = grantOf(view);
    if (grant)
      this.#addGrant(view, grant.scope === "session" ? Number.POSITIVE_INFINITY : Date.parse(grant.until));
    const waiters = this.#waiters.get(view.id);
    this.#waiters.delete(view.id);
    for (const w of waiters ?? []) w(view);
    this.#tellSettled(view);
  }

  /** Once per approval: `onSettled` may do I/O, and settled views are read again and again. */
  #tellSettled(view: ApprovalView): void {
    if (this.#told.has(view)) return;
    this.#told.add(view);
    this.#onSettled(view);
  }

  /** Remembered approvals, for a time or not, stay within the session the approver saw. */
  #addGrant(view: ApprovalView, until: number): void {
    const grant: Grant = {
      approvalId: view.id,
      session: view.session,
      agent: view.agent,
      onBehalfOf: view.onBehalfOf,
      ruleId: view.ruleId,
      rememberKey: view.rememberKey,
      policy: view.policy,
      until,
    };
    const list = this.#grants.get(view.rememberKey) ?? [];
    list.push(grant);
    this.#grants.set(view.rememberKey, list);
  }

  /**
   * A remembered approval covering this call, if one is in force. `policy` is the digest of the policy
   * the call is decided under: after a reload the rule or its approval settings may ask for more (two
   * approvers, other deciders), so a grant covers calls only under the policy it was given under.
   */
  grantFor(q: Omit<Grant, "approvalId" | "until">, now = Date.now()): Grant | null {
    const list = this.#grants.get(q.rememberKey);
    if (!list) return null;
    const live = list.filter((g) => g.until > now);
    if (live.length !== list.length) {
      if (live.length === 0) this.#grants.delete(q.rememberKey);
      else this.#grants.set(q.rememberKey, live);
    }
    return (
      live.find(
        (g) =>
          g.agent === q.agent &&
          g.onBehalfOf === q.onBehalfOf &&
          g.ruleId === q.ruleId &&
          g.session === q.session &&
          g.policy === q.policy,
      ) ?? null
    );
  }

  /**
   * How many approvals of `session` are pending now, those being asked for in this process (reserve)
   * included. One decided, or past its deadline, no longer counts.
   */
  pendingIn(session: string, now = Date.now()): number {
    const ids = this.#pendingBySession.get(session);
    if (!ids) return 0;
    for (const id of ids) {
      const view = this.#byId.get(id);
      if (view) this.#settle(view, now);
    }
    return this.#pendingBySession.get(session)?.size ?? 0;
  }

  /** Counts an approval this process is asking for before its request record is read back. */
  reserve(session: string, id: string): void {
    this.#addPending(session, id);
  }

  /** Stops counting a reserved approval whose request was not recorded after all. */
  unreserve(session: string, id: string): void {
    if (!this.#byId.has(id)) this.#dropPending(session, id);
  }

  #addPending(session: string, id: string): void {
    const ids = this.#pendingBySession.get(session);
    if (ids) ids.add(id);
    else this.#pendingBySession.set(session, new Set([id]));
  }

  #dropPending(session: string, id: string): void {
    const ids = this.#pendingBySession.get(session);
    if (!ids?.delete(id) || ids.size > 0) return;
    this.#pendingBySession.delete(session);
  }

  /** Forgets the session's remembered approvals and what it has pending (the session ended). */
  endSession(session: string): void {
    this.#pendingBySession.delete(session);
    for (const [key, list] of this.#grants) {
      const kept = list.filter((g) => g.session !== session);
      if (kept.length === 0) this.#grants.delete(key);
      else if (kept.length !== list.length) this.#grants.set(key, kept);
    }
  }

  get(id: string): ApprovalView | null {
    const view = this.#byId.get(id);
    if (view) this.#settle(view);
    return view ?? null;
  }

  byCall(callId: string): ApprovalView | null {
    const id = this.#byCall.get(callId);
    return id === undefined ? null : this.get(id);
  }

  /** Newest first. */
  list(filter: (view: ApprovalView) => boolean, limit: number): ApprovalView[] {
    const out: ApprovalView[] = [];
    const all = [...this.#byId.values()];
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
      const view = all[i]!;
      this.#settle(view);
      if (filter(view)) out.push(view);
    }
    return out;
  }

  /** Resolves when the approval is no longer pending (at the latest at its deadline). */
  wait(id: string, signal?: AbortSignal): Promise<ApprovalView> {
    const view = this.get(id);
    if (!view) return Promise.reject(new Error(`unknown approval ${id}`));
    // Past its deadline with no expiry recorded yet: the deadline step below settles it at once.
    const unrecordedExpiry =
      view.status === "expired" && !view.decisions.some((d) => d.decision === "expire");
    if (view.status !== "pending" && !unrecordedExpiry) return Promise.resolve(view);
    // An abort that came first fires no event: without this the wait would last until the deadline.
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error("aborted"));
    return new Promise((resolve, reject) => {
      const set = this.#waiters.get(id) ?? new Set<Waiter>();
      this.#waiters.set(id, set);
      const done = (v: ApprovalView) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", aborted);
        resolve(v);
      };
      const aborted = () => {
        clearTimeout(timer);
        set.delete(done);
        reject(signal?.reason ?? new Error("aborted"));
      };
      // At the deadline the expiry is recorded, unless the ledger already holds a decision (taken just
      // before it, perhaps by another process): the call then gets what the ledger says.
      const timer = setTimeout(
        () => {
          set.delete(done);
          signal?.removeEventListener("abort", aborted);
          void this.poll()
            .then(() => this.#onDeadline(id))
            .catch(() => undefined)
            .then(() => this.poll())
            .catch(() => undefined)
            .finally(() => resolve(this.get(id)!));
        },
        Math.max(0, Date.parse(view.expiresAt) - Date.now()) + 5,
      );
      set.add(done);
      signal?.addEventListener("abort", aborted, { once: true });
    });
  }
}
