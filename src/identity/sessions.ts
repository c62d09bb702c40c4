// Opens, resolves and ends sessions; each one is a ledger record, and the store's sessions table is its index.
import { AgentUnknownError, SessionEndedError, SessionNotFoundError, WardenError } from "../errors.js";
import { newId } from "../ids.js";
import type { LedgerRecord, RecordInput, SessionFeed, SessionRow } from "../ledger/index.js";
import { escapeControls, isPrintable } from "../safe-text.js";
import type { IdentityPolicy } from "./config.js";
import type { PrincipalChain } from "./principal.js";
import { type SessionInfo, type SessionRequest, type VerifiedUser, vouchedBy } from "./session-info.js";

export interface SessionRegistryDeps {
  append(input: RecordInput): Promise<LedgerRecord>;
  lookup(id: string): Promise<SessionRow | null>;
  policy(): IdentityPolicy;
  /** Seals the ledger's head with a signed checkpoint (done at every session end). */
  checkpoint(): Promise<void>;
  /** Session ends made by other processes (PostgreSQL NOTIFY, or polling the SQLite file). */
  feed?: SessionFeed | null;
  /**
   * When the session's newest record was written, by any process: asked before a session that looks idle
   * here is ended, since it may be busy on another instance (or was dropped from the cache).
   */
  lastRecordAt?(id: string): Promise<string | null>;
  /**
   * The session's `session.start` record: where a session read back from the store (opened by another
   * instance or before a restart) says whether its user was verified, for its sub-agents to inherit.
   */
  startOf?(id: string): Promise<LedgerRecord | null>;
  /** Open sessions kept in memory at most (default MAX_CACHED_SESSIONS). */
  maxCached?: number;
  now?: () => number;
}

const MAX_TEXT = 1024;
/**
 * Beyond this many, the least recently used open session is dropped from memory (about 1 KB each): it is
 * read back from the store when used again, and the sweep no longer sees it until then.
 */
export const MAX_CACHED_SESSIONS = 10_000;
/** Sub-agent sessions below a user's first agent session (`parent`). */
export const MAX_SUB_AGENT_DEPTH = 16;

export class SessionRegistry {
  readonly #deps: SessionRegistryDeps;
  /** Sessions this process has seen, so the hot path needs no store read. */
  readonly #cache = new Map<string, SessionInfo>();
  readonly #feed: SessionFeed | null;
  /** Bumped by every event from the feed, so a lookup that raced an end does not cache a stale row. */
  #epoch = 0;
  /** When this process last saw each open session act (for `sessions.idleTimeout`). */
  readonly #lastActive = new Map<string, number>();
  /** Calls running (or waiting for people) now, per session: a session busy with them is not idle. */
  readonly #inFlight = new Map<string, number>();
  readonly #now: () => number;
  readonly #startedHere: number;
  readonly #maxCached: number;

  constructor(deps: SessionRegistryDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#startedHere = this.#now();
    this.#maxCached = Math.max(1, deps.maxCached ?? MAX_CACHED_SESSIONS);
    this.#feed = deps.feed ?? null;
    this.#feed?.subscribe((id) => {
      this.#epoch++;
      if (id === null) this.#cache.clear();
      else this.#cache.delete(id);
    });
  }

  async open(request: SessionRequest): Promise<SessionInfo> {
    const req = { ...request, onBehalfOf: this.#userOf(request) };
    for (const field of ["agent", "onBehalfOf", "intent"] as const) {
      const value = req[field];
      if (
        typeof value !== "string" ||
        value.length === 0 ||
        value.length > MAX_TEXT ||
        !value.isWellFormed()
      ) {
        throw new WardenError(
          "INVALID_REQUEST",
          `session ${field} must be a non-empty, well-formed string of at most ${MAX_TEXT} characters`,
        );
      }
      // Identities are printed where people read them (terminals, the dashboard, syslog): no character
      // there may forge a line, move the cursor or reorder what a reader sees.
      if (!isPrintable(value)) {
        throw new WardenError(
          "INVALID_REQUEST",
          `session ${field} must not hold control characters or bidirectional overrides`,
        );
      }
    }
    const agents = this.#deps.policy().agents;
    const profile = agents ? agents.get(req.agent) : undefined;
    if (agents && !profile) throw new AgentUnknownError(req.agent);

    const parent = req.parent ? await this.active(req.parent) : null;
    // A sub-agent's user is its parent's: verified when the parent's was.
    const verified = req.verifiedUser ?? (parent ? await this.#verifiedUserOf(parent) : null);
    if (this.#deps.policy().identity.onBehalfOf === "verified" && verified === null) {
      throw new WardenError(
        "IDENTITY_UNVERIFIED",
        "identity.onBehalfOf is verified: the user must come from a verified token, not from the request",
      );
    }
    // Every record of a session carries its whole chain: without a bound, nesting grows them quadratically.
    // The parent's chain is its user and its agents (the first agent, then its sub-agents).
    if (parent && parent.principal.length - 1 > MAX_SUB_AGENT_DEPTH) {
      throw new WardenError(
        "INVALID_REQUEST",
        `sub-agent sessions nest at most ${MAX_SUB_AGENT_DEPTH} deep under the user's first agent`,
      );
    }
    // A sub-agent inherits its parent's user: the chain must name one human, not two.
    if (parent && parent.onBehalfOf !== req.onBehalfOf) {
      throw new WardenError(
        "INVALID_REQUEST",
        "a sub-agent session acts for the same user as its parent session",
      );
    }
    const id = newId("ses");
    const self = {
      kind: "agent" as const,
      name: req.agent,
      team: profile?.team ?? null,
      developer: profile?.developer ?? null,
      session: id,
    };
    const principal: PrincipalChain = parent
      ? [...parent.principal, self]
      : [{ kind: "user", id: req.onBehalfOf }, self];
    const record = await this.#deps.append({
      kind: "session.start",
      session: id,
      agent: req.agent,
      callId: null,
      data: {
        onBehalfOf: req.onBehalfOf,
        intent: req.intent,
        parent: parent?.id ?? null,
        principal,
        // Who vouched for the user: present only when a verified token named them.
        ...(verified ? { onBehalfOfVerified: { issuer: verified.issuer, subject: verified.subject } } : {}),
      },
    });
    const info: SessionInfo = {
      id,
      agent: req.agent,
      team: self.team,
      developer: self.developer,
      onBehalfOf: req.onBehalfOf,
      verifiedUser: verified,
      intent: req.intent,
      parent: parent?.id ?? null,
      principal,
      startedAt: record.ts,
      endedAt: null,
      endReason: null,
    };
    this.#remember(info);
    this.#lastActive.set(id, this.#now());
    return info;
  }

  /** The user: the verified token's, which a request's string may repeat but never change. */
  #userOf(req: SessionRequest): string {
    const verified = req.verifiedUser;
    if (!verified) return req.onBehalfOf ?? "";
    if (req.onBehalfOf !== undefined && req.onBehalfOf !== verified.name) {
      throw new WardenError(
        "IDENTITY_UNVERIFIED",
        "the request names another user than its verified token does",
      );
    }
    return verified.name;
  }

  /**
   * The session's verified user: known for a session opened here, else read from its `session.start`
   * record (the store's sessions table does not keep it), so a sub-agent inherits it on any instance.
   */
  async #verifiedUserOf(info: SessionInfo): Promise<VerifiedUser | null> {
    if (info.verifiedUser !== undefined) return info.verifiedUser;
    const start = this.#deps.startOf ? await this.#deps.startOf(info.id) : null;
    const vouched = start ? vouchedBy(start) : null;
    info.verifiedUser = vouched ? { name: info.onBehalfOf, ...vouched } : null;
    return info.verifiedUser;
  }

  /** How many sessions this process holds in memory. */
  get cached(): number {
    return this.#cache.size;
  }

  /** Caches `info` as the most recently used, dropping the least recently used beyond the bound. */
  #remember(info: SessionInfo): void {
    this.#cache.delete(info.id);
    this.#cache.set(info.id, info);
    while (this.#cache.size > this.#maxCached) {
      const oldest = this.#cache.keys().next().value;
      if (oldest === undefined) break;
      this.#cache.delete(oldest);
      this.#lastActive.delete(oldest);
    }
  }

  /** The session, whether active or ended; SESSION_NOT_FOUND when unknown. */
  async get(id: string): Promise<SessionInfo> {
    const cached = this.#cache.get(id);
    // Shared sessions: trust the cache only while the feed would have told us of an end elsewhere.
    if (cached && (this.#feed === null || this.#feed.live)) return cached;
    const epoch = this.#epoch;
    const row = await this.#deps.lookup(id);
    if (!row) throw new SessionNotFoundError(id);
    if (cached) {
      if (row.endedAt !== null && cached.endedAt === null) {
        cached.endedAt = row.endedAt;
        cached.endReason = row.endReason;
      }
      return cached;
    }
    const info = await this.#fromRow(row);
    if (epoch === this.#epoch && (this.#feed === null || this.#feed.live)) this.#remember(info);
    return info;
  }

  /** The session if it is still open; SESSION_ENDED otherwise. */
  async active(id: string): Promise<SessionInfo> {
    const info = await this.get(id);
    if (info.endedAt) throw new SessionEndedError(id);
    const now = this.#now();
    const over = this.#overLimit(info, now) === null ? null : await this.#confirmedOverLimit(info, now);
    if (over !== null) {
      await this.end(id, over).catch(() => undefined); // refused either way
      throw new SessionEndedError(id);
    }
    this.#lastActive.set(id, now);
    // Used now: the last to be dropped from the cache.
    if (this.#cache.get(id) === info) this.#remember(info);
    return info;
  }

  /**
   * Marks the session busy while a call of it runs or waits for its approval, however long: an idle
   * timeout counts from when the last such call finished. Returns the release.
   */
  hold(id: string): () => void {
    this.#inFlight.set(id, (this.#inFlight.get(id) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#inFlight.get(id) ?? 1) - 1;
      if (left > 0) this.#inFlight.set(id, left);
      else this.#inFlight.delete(id);
      this.#lastActive.set(id, this.#now());
    };
  }

  /**
   * Ends the open sessions this process knows that passed the policy's `sessions.maxDuration` or sat
   * idle longer than `sessions.idleTimeout`, so their secrets are revoked without waiting for a call.
   */
  async sweep(now = this.#now()): Promise<void> {
    const limits = this.#deps.policy().sessionLimits;
    if (limits.maxDurationMs === null && limits.idleTimeoutMs === null) return;
    for (const info of [...this.#cache.values()]) {
      if (info.endedAt !== null || this.#overLimit(info, now) === null) continue;
      const over = await this.#confirmedOverLimit(info, now).catch(() => null);
      if (over !== null) await this.end(info.id, over).catch(() => undefined);
    }
  }

  /**
   * #overLimit, with an idle verdict checked against the ledger first: a record of the session written
   * since this process last saw it act (by another instance) counts as activity.
   */
  async #confirmedOverLimit(info: SessionInfo, now: number): Promise<"deadline" | "idle" | null> {
    const over = this.#overLimit(info, now);
    if (over !== "idle" || !this.#deps.lastRecordAt) return over;
    const last = await this.#deps.lastRecordAt(info.id);
    const at = last === null ? Number.NaN : Date.parse(last);
    if (!(at > (this.#lastActive.get(info.id) ?? Number.NEGATIVE_INFINITY))) return over;
    this.#lastActive.set(info.id, at);
    return this.#overLimit(info, now);
  }

  /** "deadline" or "idle" when the session must end now; null while it may go on. */
  #overLimit(info: SessionInfo, now: number): "deadline" | "idle" | null {
    const { maxDurationMs, idleTimeoutMs } = this.#deps.policy().sessionLimits;
    if (maxDurationMs === null && idleTimeoutMs === null) return null;
    if (maxDurationMs !== null && now - Date.parse(info.startedAt) > maxDurationMs) return "deadline";
    if (this.#inFlight.has(info.id)) return null;
    // A session opened before this process started counts as active when the process started.
    const last = this.#lastActive.get(info.id) ?? Math.max(this.#startedHere, Date.parse(info.startedAt));
    if (idleTimeoutMs !== null && now - last > idleTimeoutMs) return "idle";
    return null;
  }

  /** Ends the session (idempotent: ending an ended session is SESSION_ENDED). */
  async end(id: string, given = "ended"): Promise<SessionInfo> {
    // The reason may quote what a caller or a sandboxed tool wrote (a host name, an error): recorded with
    // its controls and invisible characters escaped, it cannot forge a line wherever it is printed.
    const reason = escapeControls(given);
    const info = await this.get(id);
    if (info.endedAt) throw new SessionEndedError(id);
    // Mark first so calls racing the end record are refused, not slipped in after it.
    info.endedAt = new Date(this.#now()).toISOString();
    info.endReason = reason;
    try {
      const record = await this.#deps.append({
        kind: "session.end",
        session: id,
        agent: info.agent,
        callId: null,
        data: { reason },
      });
      info.endedAt = record.ts;
      // The store now says it ended; dropping it keeps the cache to open sessions only.
      this.#cache.delete(id);
      this.#lastActive.delete(id);
    } catch (err) {
      info.endedAt = null;
      info.endReason = null;
      throw err;
    }
    await this.#deps.checkpoint();
    return info;
  }

  async #fromRow(row: SessionRow): Promise<SessionInfo> {
    const profile = this.#deps.policy().agents?.get(row.agent);
    const self = {
      kind: "agent" as const,
      name: row.agent,
      team: profile?.team ?? null,
      developer: profile?.developer ?? null,
      session: row.id,
    };
    const parentChain: PrincipalChain = row.parent
      ? (await this.get(row.parent)).principal
      : [{ kind: "user", id: row.onBehalfOf }];
    return {
      id: row.id,
      agent: row.agent,
      team: self.team,
      developer: self.developer,
      onBehalfOf: row.onBehalfOf,
      intent: row.intent,
      parent: row.parent,
      principal: [...parentChain, self],
      startedAt: row.startedAt,
      endedAt: row.endedAt,
      endReason: row.endReason,
    };
  }
}
