// The secrets broker: which secrets a tool may receive, leased per session, recorded, cached, and revoked at the end.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { compileGlobs } from "../config/index.js";
import { LedgerUnavailableError, SessionEndedError, WardenError } from "../errors.js";
import type { LedgerStore, RecordInput } from "../ledger/index.js";
import type { SecretSpec } from "./config.js";
import { errorCode, SecretError } from "./errors.js";
import {
  type BrokerInstance,
  LIVE_INSTANCES,
  leaseRecord,
  type RevokeReason,
  revokeRecord,
} from "./records.js";
import { type RecoverOptions, type RecoveryReport, recoverOrphans } from "./recover.js";
import type { SecretRedactor } from "./redact.js";
import type { Lease, SecretProvider, SecretSession } from "./types.js";

export interface SecretBrokerOptions {
  secrets: readonly SecretSpec[];
  /** The broker owns them: close() closes them. */
  providers: readonly SecretProvider[];
  /** Makes a record durable (the lead passes `ledger.append`); a lease is handed out only once it resolves. */
  record: (input: RecordInput) => Promise<unknown>;
  /** Every value handed out is registered with it, per session. */
  redactor?: SecretRedactor;
  /** A cached lease this close to expiry is replaced rather than handed out (default 5 s). */
  refreshMarginMs?: number;
  clock?: () => Date;
  /** For tests: who this broker claims to be in its records. */
  instance?: BrokerInstance;
}

/** What endSession() did; failures are recorded too, and recoverOrphans() retries them. */
export interface EndSessionReport {
  revoked: number;
  failed: { leaseId: string; name: string; error: string }[];
}

interface CompiledSpec {
  spec: SecretSpec;
  provider: SecretProvider;
  matches: (tool: string) => boolean;
}

interface SessionState {
  session: SecretSession;
  leases: Map<string, Lease>;
  pending: Map<string, Promise<Lease>>;
  providers: Set<SecretProvider>;
}

const NAME = /^[A-Za-z0-9_.:/@-]{1,128}$/;
/** Ended session ids remembered so a late leaseFor() is refused; the oldest are forgotten beyond this. */
const ENDED_MEMORY = 10_000;

/**
 * Hands tools the secrets their spec allows, per Warden session. A lease lives at most `maxTtlMs` and
 * never past the session's deadline; it is cached per session and secret while valid; it is recorded
 * (`secret.lease`, durable) before the value is returned; endSession() revokes every lease of the
 * session (`secret.revoke`). After a crash, recoverOrphans() revokes what the ledger shows unrevoked.
 *
 * @example
 * const broker = new SecretBroker({
 *   secrets: [{ name: "stripe", provider: "env", tools: ["billing_*"], maxTtlMs: 600_000, variable: "STRIPE_KEY" }],
 *   providers: [new EnvProvider()],
 *   record: (input) => ledger.append(input),
 *   redactor: new SecretRedactor(),
 * });
 * const session = { id: "ses_1", agent: "billing-bot", onBehalfOf: "alice@example.com", deadline: new Date(Date.now() + 3_600_000) };
 * const leases = await broker.leaseFor(session, "billing_charge");
 * await broker.endSession("ses_1");
 */
export class SecretBroker {
  readonly instance: BrokerInstance;
  readonly #specs: CompiledSpec[];
  readonly #providers: Map<string, SecretProvider>;
  readonly #record: (input: RecordInput) => Promise<unknown>;
  readonly #redactor: SecretRedactor | undefined;
  readonly #margin: number;
  readonly #clock: () => Date;
  readonly #sessions = new Map<string, SessionState>();
  readonly #ended = new Set<string>();
  #closed = false;

  constructor(options: SecretBrokerOptions) {
    this.#providers = new Map();
    for (const p of options.providers) {
      if (this.#providers.has(p.name)) throw invalid(`two providers are named ${p.name}`);
      this.#providers.set(p.name, p);
    }
    const names = new Set<string>();
    this.#specs = options.secrets.map((spec) => {
      if (!NAME.test(spec.name)) throw invalid("a secret name must match [A-Za-z0-9_.:/@-]{1,128}");
      if (names.has(spec.name)) throw invalid(`secret ${spec.name} is defined twice`);
      names.add(spec.name);
      const provider = this.#providers.get(spec.provider);
      if (!provider) throw invalid(`secret ${spec.name}: no provider named ${spec.provider}`);
      if (!Number.isSafeInteger(spec.maxTtlMs) || spec.maxTtlMs <= 0) {
        throw invalid(`secret ${spec.name}: maxTtlMs must be a positive integer`);
      }
      let matches: (tool: string) => boolean;
      try {
        matches = compileGlobs(spec.tools);
      } catch (err) {
        throw invalid(`secret ${spec.name}: ${(err as Error).message}`);
      }
      return { spec, provider, matches };
    });
    this.#record = options.record;
    this.#redactor = options.redactor;
    this.#margin = options.refreshMarginMs ?? 5000;
    this.#clock = options.clock ?? (() => new Date());
    this.instance = options.instance ?? { id: randomUUID(), host: hostname(), pid: process.pid };
    // Only brokers of this process: one that claims another process (tests) is judged by that pid.
    if (this.instance.pid === process.pid) LIVE_INSTANCES.add(this.instance.id);
  }

  /** Names of the secrets `tool` may receive. */
  secretsFor(tool: string): string[] {
    return this.#specs.filter((s) => s.matches(tool)).map((s) => s.spec.name);
  }

  /**
   * Leases (or reuses) every secret `tool` may receive, for `session`. Each new lease is durable in the
   * ledger before it is returned; if recording fails the lease is revoked and LEDGER_UNAVAILABLE thrown.
   */
  async leaseFor(session: SecretSession, tool: string, options: { callId?: string } = {}): Promise<Lease[]> {
    checkSession(session);
    if (typeof tool !== "string" || tool === "") throw invalid("the tool name must be a non-empty string");
    if (this.#closed) throw new SecretError("SECRET_UNAVAILABLE", "the secrets broker is closed");
    if (this.#ended.has(session.id)) throw new SessionEndedError(session.id);
    const specs = this.#specs.filter((s) => s.matches(tool));
    if (specs.length === 0) return [];
    let state = this.#sessions.get(session.id);
    if (!state) {
      state = { session, leases: new Map(), pending: new Map(), providers: new Set() };
      this.#sessions.set(session.id, state);
    }
    const st = state;
    return Promise.all(specs.map((s) => this.#leaseOne(st, s, tool, options.callId ?? null)));
  }

  /** Revokes every lease of the session (and what providers keep for it), recording each revocation. */
  async endSession(sessionId: string, reason: RevokeReason = "session-end"): Promise<EndSessionReport> {
    this.#markEnded(sessionId);
    const state = this.#sessions.get(sessionId);
    const report: EndSessionReport = { revoked: 0, failed: [] };
    if (!state) return report;
    // Leases in flight revoke themselves when they see the session ended; wait for them.
    await Promise.allSettled([...state.pending.values()]);
    this.#sessions.delete(sessionId);
    for (const lease of state.leases.values()) {
      const error = await this.#revoke(state.session, lease, reason, true);
      if (error === null) report.revoked++;
      else report.failed.push({ leaseId: lease.id, name: lease.name, error });
    }
    for (const provider of state.providers) {
      try {
        await provider.endSession?.(sessionId);
      } catch (err) {
        report.failed.push({ leaseId: "", name: `provider:${provider.name}`, error: errorCode(err) });
      }
    }
    this.#redactor?.forget(sessionId);
    return report;
  }

  /**
   * Revokes the leases the ledger shows unrevoked whose session has ended, whose process died, or that
   * expired, using each recorded handle; records every revocation. Run it at start and periodically.
   */
  recoverOrphans(store: LedgerStore, options?: RecoverOptions): Promise<RecoveryReport> {
    const active = new Set<string>();
    for (const s of this.#sessions.values()) for (const l of s.leases.values()) active.add(l.id);
    return recoverOrphans(
      {
        store,
        providers: this.#providers,
        record: this.#record,
        instance: this.instance,
        active,
        now: this.#clock,
      },
      options,
    );
  }

  /** Ends every session (revoking its leases), then closes the providers. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const id of [...this.#sessions.keys()]) await this.endSession(id, "close");
    LIVE_INSTANCES.delete(this.instance.id);
    await Promise.allSettled([...this.#providers.values()].map((p) => p.close()));
  }

  async #leaseOne(state: SessionState, c: CompiledSpec, tool: string, callId: string | null): Promise<Lease> {
    const name = c.spec.name;
    const cached = state.leases.get(name);
    const now = this.#clock();
    if (cached && cached.expiresAt.getTime() - now.getTime() > this.#margin) return cached;
    const pending = state.pending.get(name);
    if (pending) return pending;
    const fresh = (async () => {
      if (cached) {
        state.leases.delete(name);
        await this.#revoke(state.session, cached, "expired", false);
      }
      return this.#newLease(state, c, tool, callId);
    })();
    state.pending.set(name, fresh);
    try {
      return await fresh;
    } finally {
      state.pending.delete(name);
    }
  }

  async #newLease(state: SessionState, c: CompiledSpec, tool: string, callId: string | null): Promise<Lease> {
    const { session } = state;
    const issuedAt = this.#clock();
    const ttlMs = Math.min(c.spec.maxTtlMs, session.deadline.getTime() - issuedAt.getTime());
    if (ttlMs <= 0) {
      throw new SecretError(
        "SECRET_UNAVAILABLE",
        `secret ${c.spec.name}: session ${session.id} is past its deadline`,
        {
          secret: c.spec.name,
          session: session.id,
        },
      );
    }
    state.providers.add(c.provider);
    const lease = checkLease(await c.provider.lease(c.spec, session, ttlMs), c, issuedAt, ttlMs);
    try {
      // Registered before anyone can see the value, so whatever a tool echoes is already redacted.
      this.#redactor?.register(session.id, lease.name, lease.secret);
      await this.#record(leaseRecord(lease, session, tool, callId, issuedAt, this.instance));
    } catch (err) {
      // Unrecorded (or unredactable) means unaccountable: take it back. Best effort, and not recorded:
      // the ledger is down, or it holds no lease record to match.
      await c.provider.revoke(lease).catch(() => undefined);
      throw err instanceof WardenError
        ? err
        : new LedgerUnavailableError("could not record a secret lease", err);
    }
    if (this.#ended.has(session.id) || this.#closed) {
      await this.#revoke(session, lease, "session-end", true);
      throw new SessionEndedError(session.id);
    }
    state.leases.set(lease.name, lease);
    return lease;
  }

  /** Revokes and records; returns the error code, or null when revoked. */
  async #revoke(
    session: SecretSession,
    lease: Lease,
    reason: RevokeReason,
    final: boolean,
  ): Promise<string | null> {
    const provider = this.#providers.get(lease.provider);
    let error: string | null = null;
    try {
      await provider?.revoke(lease, { final });
    } catch (err) {
      error = errorCode(err);
    }
    const owner = { session: session.id, agent: session.agent };
    // A lost revoke record leaves the lease open in the ledger; recovery then revokes it again (idempotent).
    await this.#record(revokeRecord(lease, owner, reason, error, this.#clock(), this.instance)).catch(
      () => undefined,
    );
    return error;
  }

  #markEnded(sessionId: string): void {
    this.#ended.add(sessionId);
    if (this.#ended.size > ENDED_MEMORY) {
      const oldest = this.#ended.values().next().value;
      if (oldest !== undefined) this.#ended.delete(oldest);
    }
  }
}

function checkSession(session: SecretSession): void {
  if (
    typeof session?.id !== "string" ||
    session.id === "" ||
    typeof session.agent !== "string" ||
    typeof session.onBehalfOf !== "string" ||
    !(session.deadline instanceof Date) ||
    Number.isNaN(session.deadline.getTime())
  ) {
    throw invalid("a session needs an id, agent, onBehalfOf and a valid deadline");
  }
}

/** A provider's lease, held to what was asked: the right secret, a value, no longer than the TTL. */
function checkLease(lease: Lease, c: CompiledSpec, issuedAt: Date, ttlMs: number): Lease {
  if (
    typeof lease?.secret !== "string" ||
    lease.secret === "" ||
    typeof lease.id !== "string" ||
    lease.id === ""
  ) {
    throw new SecretError("SECRET_PROVIDER_FAILED", `secret ${c.spec.name}: the provider returned no value`, {
      secret: c.spec.name,
    });
  }
  const latest = issuedAt.getTime() + ttlMs;
  const expiresAt = Math.min(lease.expiresAt.getTime(), latest);
  return {
    ...lease,
    provider: c.provider.name,
    name: c.spec.name,
    ttlMs: Math.min(lease.ttlMs, ttlMs),
    expiresAt: new Date(expiresAt),
  };
}

function invalid(message: string): WardenError {
  return new WardenError("INVALID_REQUEST", message);
}
