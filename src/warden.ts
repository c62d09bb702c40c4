// Warden as a library: open a policy and a ledger, then open sessions whose tool calls go through the gate.

import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync } from "node:fs";
import { type ApprovalStage, openApprovals } from "./approvals/index.js";
import { Execution, Gate, LivePolicy, type ReloadResult, SharedRateLimiter } from "./core/index.js";
import {
  type Canary,
  canaryOf,
  canaryRecord,
  customCanary,
  Detections,
  type MintableKind,
  mintCanary,
} from "./detect/index.js";
import { WardenError } from "./errors.js";
import { Exporter, type ExporterOptions } from "./export/index.js";
import { SessionRegistry, type SessionRequest } from "./identity/index.js";
import type { JsonValue } from "./json.js";
import {
  defaultKeyPaths,
  finishInterruptedRotation,
  generateKeyPair,
  isPostgresUrl,
  Ledger,
  type LedgerStore,
  loadSigningKey,
  MemoryStore,
  type PostgresStoreOptions,
  SqliteStore,
} from "./ledger/index.js";
import { type CompiledPolicy, loadPolicyFile, parsePolicy } from "./policy/index.js";
import { Containment } from "./sandbox/index.js";
import { openSecrets, type SecretStage } from "./secrets/index.js";
import { Session } from "./session.js";
import { openPostgres } from "./warden-postgres.js";

/** How often an open Warden looks for canaries minted by other processes. */
const SESSION_SWEEP_MS = 5_000;
const CANARY_POLL_MS = 5_000;

export interface WardenOptions {
  /** A policy file (YAML or JSON), or a policy document as an object. */
  policy: string | Record<string, unknown>;
  /**
   * A SQLite file path (created if missing), ":memory:" for a throwaway ledger, a `postgres://…` URL
   * (several instances may share one database; `?schema=NAME` picks the schema), or a store.
   * Default `.warden/ledger.db`.
   */
  db?: string | LedgerStore;
  /**
   * The Ed25519 private key (PEM file) that signs checkpoints. Default: beside a SQLite database,
   * created with a new one; for PostgreSQL `.warden/ledger.key`, created only while the database has
   * no key yet (every instance must sign with the same key).
   */
  signingKey?: string;
  /**
   * The ledger chain this instance writes. SQLite: default "main", and several processes may share it.
   * PostgreSQL: a name no other live instance writes (held by an advisory lock; another holder is
   * LEDGER_CHAIN_LOCKED); default the first free one of node-1, node-2, …
   */
  chain?: string;
  /** Pool size and timeouts of a PostgreSQL store. */
  postgres?: Omit<PostgresStoreOptions, "readonly">;
  /** Checkpoint after this many records (default 1000) … */
  checkpointEvery?: number;
  /** … or this many seconds (default 10), whichever comes first. */
  checkpointSeconds?: number;
  /** Reload the policy file when it changes (default false; `warden start` turns it on). */
  watchPolicy?: boolean;
  /** Called with each reload's result (file watch or SIGHUP), e.g. to log a refusal. */
  onPolicyReload?: (result: ReloadResult) => void;
  /**
   * Run the policy's `export:` sinks in this process (default false; `warden start` turns it on).
   * An object sets exporter options (secrets env, poll interval). Off when the policy has no `export:`.
   */
  export?: boolean | ExporterOptions;
  /** How often to look for canaries other processes minted (default 5000 ms). */
  canaryPollMs?: number;
  /** Where the secrets the policy names by environment variable come from (default process.env). */
  env?: Record<string, string | undefined>;
}

/**
 * The entry point of the library.
 *
 * @example
 * const warden = await Warden.open({ policy: { allowed_tools: ["read_ticket"], blocked_tools: ["send_email"] }, db: ":memory:" });
 * const session = await warden.session({ agent: "support-bot", onBehalfOf: "alice@example.com", intent: "ticket #123" });
 * const readTicket = session.guard("read_ticket", async (a: { id: number }) => a.id);
 * await readTicket({ id: 123 });
 * await session.end();
 * await warden.close();
 */
export class Warden {
  readonly ledger: Ledger;
  readonly gate: Gate;
  readonly sessions: SessionRegistry;
  /** Pending and decided approvals, action links and chat-ops integrations (see docs/approvals.md). */
  readonly approvals: ApprovalStage;
  /** The secrets broker and redactor, when the policy has a `secrets:` section. */
  readonly secrets: SecretStage | null;
  /** Runs command tools and sandboxed MCP servers behind the egress proxy (policy `egress:`, `sandbox:`). */
  readonly containment: Containment;
  /** The running exporter, when opened with `export` and the policy has an `export:` section. */
  exporter: Exporter | null = null;
  readonly #policy: LivePolicy;
  readonly #detect = new Detections();
  readonly #endListeners = new Set<(session: string) => void>();
  #canaryPoll: NodeJS.Timeout | null = null;
  /** Ends sessions past `sessions.maxDuration` or idle past `sessions.idleTimeout`. */
  #sweep: NodeJS.Timeout | null = null;

  private constructor(
    ledger: Ledger,
    policy: LivePolicy,
    approvals: ApprovalStage,
    secrets: SecretStage | null,
    env: Record<string, string | undefined>,
  ) {
    this.ledger = ledger;
    this.#policy = policy;
    this.approvals = approvals;
    this.secrets = secrets;
    const store = ledger.store;
    const feed = store.sessionFeed ?? null;
    this.sessions = new SessionRegistry({
      append: (input) => ledger.append(input),
      lookup: (id) => ledger.store.session(id),
      startOf: async (id) =>
        (await ledger.store.query({ session: id, kinds: ["session.start"], limit: 1 }))[0] ?? null,
      lastRecordAt: async (id) =>
        (await ledger.store.query({ session: id, newestFirst: true, limit: 1 }))[0]?.ts ?? null,
      feed,
      policy: () => policy.current,
      checkpoint: async () => {
        await ledger.checkpointNow();
      },
    });
    this.containment = new Containment({
      settings: () => policy.current.containment,
      endSession: (id, reason) => this.sessions.end(id, reason),
      record: (input) => ledger.append(input),
      recentRecords: async (session) =>
        (
          await ledger.store.query({ session, newestFirst: true, limit: 50 })
        ).reverse() as unknown as JsonValue[],
      env,
      // Host names arrive lower-cased: masking looks for the leased values in any case.
      ...(secrets ? { screen: (session, text) => secrets.redactor.redactText(text, session) } : {}),
    });
    this.gate = new Gate({
      ledger,
      sessions: this.sessions,
      policy,
      detect: this.#detect,
      approvals: approvals.queue,
      execution: new Execution({ secrets, policy }),
      containment: this.containment,
      onSessionEnd: (listener) => this.onSessionEnd(listener),
    });
    // Canaries minted through this ledger arm the gate at once (others are read at open).
    ledger.onAppend((records) => {
      for (const r of records) {
        if (r.kind === "canary.create") this.#detect.noteRecord(r);
        else if (r.kind === "session.start") this.#detect.noteSessionStart(r);
        else if (r.kind === "session.end" && r.session !== null) this.#sessionEnded(r.session);
      }
    });
    // A session ended by another process lets go of what it holds here too (each step is idempotent).
    feed?.subscribe((id) => {
      if (id !== null) this.#sessionEnded(id);
    });
  }

  /** An ended session's flow memory and remembered approvals go; its running commands and leases end. */
  #sessionEnded(id: string): void {
    this.#detect.endSession(id);
    this.approvals.queue.book.endSession(id);
    // A closed approval takes no decision: what its deciders could read goes with the session.
    this.approvals.queue.held?.releaseSession(id).catch(() => undefined);
    this.containment.killSession(id, "session ended");
    this.secrets?.broker.endSession(id).catch(() => undefined); // failures are recorded and retried
    for (const listener of this.#endListeners) {
      try {
        listener(id);
      } catch {
        // A failing listener (a gateway session) must not keep the end from the others.
      }
    }
  }

  /**
   * Calls `listener` with the id of each session that ends, here or (on a shared database) in another
   * process, whatever the cause: explicit, idle, deadline, violation. It may hear one end twice.
   * Returns the unsubscribe function.
   */
  onSessionEnd(listener: (session: string) => void): () => void {
    this.#endListeners.add(listener);
    return () => this.#endListeners.delete(listener);
  }

  static async open(options: WardenOptions): Promise<Warden> {
    const policyPath = typeof options.policy === "string" ? options.policy : null;
    const compiled = policyPath
      ? await loadPolicyFile(policyPath)
      : parsePolicy(JSON.stringify(options.policy), "<inline>");
    const { store, signingKey, chain } = await openStore(options);
    let ledger: Ledger;
    try {
      ledger = await Ledger.open({
        store,
        signingKey,
        chain,
        checkpointEvery: options.checkpointEvery,
        checkpointSeconds: options.checkpointSeconds,
      });
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
    // Several instances on one database share their rate limits there; one process keeps them in memory.
    const buckets = ledger.store.buckets ?? null;
    const live = new LivePolicy(
      compiled,
      policyPath,
      (input) => ledger.append(input),
      buckets ? (limits) => new SharedRateLimiter(buckets, limits) : undefined,
    );
    // Secrets the policy names by environment variable (webhooks, providers, the alert) come from here.
    const env = options.env ?? process.env;
    let approvals: ApprovalStage;
    try {
      approvals = await openApprovals({
        ledger,
        channels: compiled.approvalChannels,
        maxRememberMs: () => live.current.approvalChannels.maxRememberMs,
        signingKey,
        env,
        // Read from the store: the registry is built after this stage, and an end by another process counts.
        sessionEnd: async (id) => {
          const row = await ledger.store.session(id);
          return row?.endedAt ? { at: row.endedAt, reason: row.endReason } : null;
        },
      });
    } catch (err) {
      await ledger.close().catch(() => undefined);
      throw err;
    }
    let secrets: SecretStage | null = null;
    let warden: Warden;
    try {
      if (compiled.secrets) secrets = await openSecrets({ settings: compiled.secrets, ledger, env });
      warden = new Warden(ledger, live, approvals, secrets, env);
    } catch (err) {
      await secrets?.close().catch(() => undefined);
      await approvals.close().catch(() => undefined);
      await ledger.close().catch(() => undefined);
      throw err;
    }
    // From here the Warden owns everything started so far: a failing step closes all of it, and the
    // policy.load record is written only once nothing else can fail.
    try {
      await warden.#detect.load(store, compiled.detect);
      if (options.export && compiled.export) {
        const exportOptions = typeof options.export === "object" ? options.export : {};
        warden.exporter = Exporter.fromConfig(ledger, compiled.export, exportOptions);
      }
      await live.recordLoaded();
    } catch (err) {
      await warden.close().catch(() => undefined);
      throw err;
    }
    if (options.watchPolicy) live.watch(options.onPolicyReload ?? (() => undefined));
    warden.#pollCanaries(options.canaryPollMs ?? CANARY_POLL_MS);
    warden.#sweep = setInterval(() => void warden.sessions.sweep(), SESSION_SWEEP_MS);
    warden.#sweep.unref();
    return warden;
  }

  /** The policy in force now. */
  get policy(): CompiledPolicy {
    return this.#policy.current;
  }

  /** Opens a session: who acts, for whom, why, and under which parent session. */
  async session(
    request: SessionRequest | (Omit<SessionRequest, "parent"> & { parent?: Session | string | null }),
  ): Promise<Session> {
    const parent = request.parent instanceof Session ? request.parent.id : request.parent;
    const info = await this.sessions.open({ ...request, parent });
    return new Session(this.gate, this.sessions, info);
  }

  /** A handle on an open session by id (e.g. after a restart, or from another entry point). */
  async resume(sessionId: string): Promise<Session> {
    return new Session(this.gate, this.sessions, await this.sessions.active(sessionId));
  }

  /**
   * Mints a canary token: a unique fake value recorded in the ledger (`canary.create`). Any later tool
   * argument holding it is refused and raises a critical alert.
   * @example
   * const canary = await warden.createCanary("aws-key", "billing db seed");
   * // plant canary.value where only an exfiltrating agent would pick it up
   */
  async createCanary(kind: MintableKind, label: string | null = null, domain?: string): Promise<Canary> {
    return this.#recordCanary(mintCanary(kind, label, domain));
  }

  /**
   * Registers an existing honeytoken as a canary (kind `custom`): any later tool argument holding it,
   * as written or encoded, is refused like a minted one. Throws INVALID_REQUEST for a value that is too
   * short or too long (see CUSTOM_CANARY_LENGTH).
   * @example
   * await warden.addCanary("AKIAHONEYTOKEN0000001", "key planted in the old deploy repo");
   */
  async addCanary(value: string, label: string | null = null): Promise<Canary> {
    let canary: Canary;
    try {
      canary = customCanary(value, label);
    } catch (err) {
      throw new WardenError("INVALID_REQUEST", err instanceof Error ? err.message : String(err));
    }
    return this.#recordCanary(canary);
  }

  async #recordCanary(minted: Canary): Promise<Canary> {
    const record = await this.ledger.append(canaryRecord(minted));
    const canary = canaryOf(record);
    if (canary === null) throw new WardenError("INVALID_REQUEST", "canary record could not be read back");
    this.#detect.noteRecord(record);
    return canary;
  }

  /** Canaries minted by other processes arm this gate within `everyMs` (a minute of overlap covers clock skew). */
  #pollCanaries(everyMs: number): void {
    let since = Date.now() - 60_000;
    this.#canaryPoll = setInterval(() => {
      const started = Date.now();
      this.#detect
        .refreshCanaries(this.ledger.store, since)
        .then(() => {
          since = started - 60_000;
        })
        .catch(() => undefined); // a failed poll is retried on the next tick
    }, everyMs);
    this.#canaryPoll.unref();
  }

  /** Re-reads the policy file: a valid one replaces the old atomically; an invalid one is refused and recorded. */
  reloadPolicy(): Promise<ReloadResult> {
    return this.#policy.reload();
  }

  async close(): Promise<void> {
    if (this.#canaryPoll) clearInterval(this.#canaryPoll);
    if (this.#sweep) clearInterval(this.#sweep);
    this.#policy.close();
    // First: a call waiting for an approval would otherwise wait for a decision no one can record.
    this.gate.close();
    // Before the ledger: the exporter reads the store and may append dead-letter alerts.
    await this.exporter?.close();
    // Before the ledger: notifications record their attempts, and leases their revocation.
    this.containment.close();
    await this.secrets?.close();
    await this.approvals.close();
    await this.ledger.close();
  }
}

async function openStore(options: WardenOptions) {
  const db = options.db ?? ".warden/ledger.db";
  const keyPath = options.signingKey;
  const chain = options.chain;
  if (typeof db !== "string") {
    return { store: db, chain, signingKey: keyPath ? await loadSigningKey(keyPath) : ephemeralKey() };
  }
  if (db === ":memory:") {
    return {
      store: new MemoryStore(),
      chain,
      signingKey: keyPath ? await loadSigningKey(keyPath) : ephemeralKey(),
    };
  }
  if (isPostgresUrl(db)) return openPostgres(db, keyPath ?? ".warden/ledger.key", chain, options.postgres);
  const isNew = !existsSync(db);
  // A rotation a crash cut short is finished (or dropped) before the key beside the ledger is read.
  if (!isNew && !keyPath) await finishInterruptedRotation(db);
  const paths = defaultKeyPaths(db);
  const privateKeyPath = keyPath ?? paths.privateKey;
  if (!existsSync(privateKeyPath)) {
    if (!isNew || keyPath) {
      throw new WardenError(
        "LEDGER_KEY_MISSING",
        `no signing key at ${privateKeyPath}; the ledger exists, so a new key would break verification (restore the key or pass signingKey)`,
      );
    }
    await generateKeyPair(paths);
  }
  const store = await SqliteStore.open(db);
  return { store, chain, signingKey: await loadSigningKey(privateKeyPath) };
}

/** A throwaway key for in-memory ledgers, which nobody verifies after the process ends. */
function ephemeralKey(): KeyObject {
  return generateKeyPairSync("ed25519").privateKey;
}
