// Warden as a library: open a policy and a ledger, then open sessions whose tool calls go through the gate.

import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync } from "node:fs";
import { Gate } from "./core/gate.js";
import { LivePolicy, type ReloadResult } from "./core/live-policy.js";
import { WardenError } from "./errors.js";
import { SessionRegistry, type SessionRequest } from "./identity/index.js";
import {
  defaultKeyPaths,
  generateKeyPair,
  Ledger,
  type LedgerStore,
  loadSigningKey,
  MemoryStore,
  SqliteStore,
} from "./ledger/index.js";
import { type CompiledPolicy, loadPolicyFile, parsePolicy } from "./policy/index.js";
import { Session } from "./session.js";

export interface WardenOptions {
  /** A policy file (YAML or JSON), or a policy document as an object. */
  policy: string | Record<string, unknown>;
  /** A SQLite file path (created if missing), ":memory:" for a throwaway ledger, or a store. Default `.warden/ledger.db`. */
  db?: string | LedgerStore;
  /** The Ed25519 private key (PEM file) that signs checkpoints. Default: beside the database, created with a new one. */
  signingKey?: string;
  /** Checkpoint after this many records (default 1000) … */
  checkpointEvery?: number;
  /** … or this many seconds (default 10), whichever comes first. */
  checkpointSeconds?: number;
  /** Reload the policy file when it changes (default false; `warden start` turns it on). */
  watchPolicy?: boolean;
  /** Called with each reload's result (file watch or SIGHUP), e.g. to log a refusal. */
  onPolicyReload?: (result: ReloadResult) => void;
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
  readonly #policy: LivePolicy;

  private constructor(ledger: Ledger, policy: LivePolicy) {
    this.ledger = ledger;
    this.#policy = policy;
    this.sessions = new SessionRegistry({
      append: (input) => ledger.append(input),
      lookup: (id) => ledger.store.session(id),
      policy: () => policy.current,
      checkpoint: async () => {
        await ledger.checkpointNow();
      },
    });
    this.gate = new Gate({ ledger, sessions: this.sessions, policy });
  }

  static async open(options: WardenOptions): Promise<Warden> {
    const policyPath = typeof options.policy === "string" ? options.policy : null;
    const compiled = policyPath
      ? await loadPolicyFile(policyPath)
      : parsePolicy(JSON.stringify(options.policy), "<inline>");
    const { store, signingKey } = await openStore(options.db ?? ".warden/ledger.db", options.signingKey);
    const ledger = await Ledger.open({
      store,
      signingKey,
      checkpointEvery: options.checkpointEvery,
      checkpointSeconds: options.checkpointSeconds,
    });
    const live = new LivePolicy(compiled, policyPath, (input) => ledger.append(input));
    const warden = new Warden(ledger, live);
    try {
      await live.recordLoaded();
    } catch (err) {
      await ledger.close().catch(() => undefined);
      throw err;
    }
    if (options.watchPolicy) live.watch(options.onPolicyReload ?? (() => undefined));
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

  /** Re-reads the policy file: a valid one replaces the old atomically; an invalid one is refused and recorded. */
  reloadPolicy(): Promise<ReloadResult> {
    return this.#policy.reload();
  }

  async close(): Promise<void> {
    this.#policy.close();
    await this.ledger.close();
  }
}

async function openStore(db: string | LedgerStore, keyPath: string | undefined) {
  if (typeof db !== "string") {
    return { store: db, signingKey: keyPath ? await loadSigningKey(keyPath) : ephemeralKey() };
  }
  if (db === ":memory:") {
    return { store: new MemoryStore(), signingKey: keyPath ? await loadSigningKey(keyPath) : ephemeralKey() };
  }
  const isNew = !existsSync(db);
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
  return { store, signingKey: await loadSigningKey(privateKeyPath) };
}

/** A throwaway key for in-memory ledgers, which nobody verifies after the process ends. */
function ephemeralKey(): KeyObject {
  return generateKeyPairSync("ed25519").privateKey;
}
