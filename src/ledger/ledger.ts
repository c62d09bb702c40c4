// The ledger writer: group commit of appends into one durable store transaction, hash chaining, signed checkpoints.
import { createPublicKey, type KeyObject, sign } from "node:crypto";
import { LedgerUnavailableError, WardenError } from "../errors.js";
import { canonicalData, checkpointMessage, recordHash } from "./hash.js";
import { snapshotInput } from "./input.js";
import { keyIdOf } from "./keys.js";
import {
  type Cadence,
  type ChainHead,
  type Checkpoint,
  GENESIS_HASH,
  type LedgerRecord,
  type LedgerStore,
  type RecordInput,
  type SealableInput,
  type Sealer,
  type SignedHeads,
} from "./types.js";

/**
 * What a chain may be called: its name travels in headers, ids and log lines (a NATS or webhook message
 * id, a CEF externalId, a syslog field), where a space or line break would break or stall the export.
 */
const CHAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The documented default cadence: a checkpoint once 1,000 records are unsigned, and 10 s after a record. */
export const DEFAULT_CADENCE: Cadence = { records: 1000, seconds: 10 };

export interface LedgerOptions {
  store: LedgerStore;
  /** One chain per writer identity; several processes may share one (default "main"). */
  chain?: string;
  /** Ed25519 private key that signs checkpoints. */
  signingKey: KeyObject;
  /** Seal a checkpoint into the batch once this many records are unsigned (default 1000). */
  checkpointEvery?: number;
  /**
   * Also checkpoint this often while records are being added, so no record stays unsigned longer; 0
   * turns the timer off (default 10). Both numbers are signed into each checkpoint: verify holds the
   * unsigned tail to them.
   */
  checkpointSeconds?: number;
  clock?: () => Date;
  /** Most records in one transaction (default 1024); more wait for the next. */
  maxBatch?: number;
}

export interface LedgerStats {
  /** Store transactions that committed (each one fsync). */
  batches: number;
  failedBatches: number;
  records: number;
  checkpoints: number;
  largestBatch: number;
}

export type AppendListener = (records: readonly LedgerRecord[]) => void;

/** How an append joins a batch. */
export interface AppendOptions {
  /**
   * `next`: the record does not start a batch of its own; it joins the next one another append starts,
   * or is written alone after JOIN_NEXT_MS when none comes. For a record that only has to follow (an
   * outcome), so that it shares the next intent's fsync instead of paying one of its own.
   */
  batch?: "now" | "next";
}

/** How long a `next` record waits for another append to share its commit before it is written alone. */
export const JOIN_NEXT_MS = 5;

interface Pending {
  input: SealableInput;
  resolve: (record: LedgerRecord) => void;
  reject: (err: Error) => void;
}

interface CheckpointWaiter {
  resolve: (checkpoint: Checkpoint | null) => void;
  reject: (err: Error) => void;
}

/**
 * Appends records durably. Appends that arrive while a batch is being written (or in the same turn of
 * the event loop) share the next transaction, so N concurrent callers cost about one fsync, not N.
 * The ledger owns its store: close() closes it.
 *
 * @example
 * const ledger = await Ledger.open({ store: new MemoryStore(), signingKey });
 * const record = await ledger.append({ kind: "alert", session: null, agent: null, callId: null, data: { what: "x" } });
 * await ledger.close();
 */
export class Ledger {
  readonly store: LedgerStore;
  readonly chain: string;
  readonly keyId: string;
  /** The public half of the signing key: what checkpoints this ledger signs verify with. */
  readonly publicKey: KeyObject;
  readonly #key: KeyObject;
  readonly #cadence: Cadence;
  readonly #clock: () => Date;
  readonly #maxBatch: number;
  readonly #listeners = new Set<AppendListener>();
  readonly #timer: NodeJS.Timeout | null;
  #queue: Pending[] = [];
  #checkpointWaiters: CheckpointWaiter[] = [];
  #scheduled = false;
  #joinTimer: NodeJS.Timeout | null = null;
  #flushing = false;
  #closed = false;
  #closing: Promise<void> | null = null;
  // Records this ledger sealed that no checkpoint covers yet, as of its last batch.
  #unsigned = false;
  #stats: LedgerStats = { batches: 0, failedBatches: 0, records: 0, checkpoints: 0, largestBatch: 0 };

  private constructor(options: LedgerOptions) {
    this.store = options.store;
    this.chain = options.chain ?? "main";
    this.#key = options.signingKey;
    this.keyId = keyIdOf(options.signingKey);
    this.publicKey = createPublicKey(options.signingKey);
    const seconds = Math.max(0, options.checkpointSeconds ?? DEFAULT_CADENCE.seconds);
    this.#cadence = {
      records: Math.max(1, Math.trunc(options.checkpointEvery ?? DEFAULT_CADENCE.records)),
      seconds,
    };
    this.#clock = options.clock ?? (() => new Date());
    this.#maxBatch = Math.max(1, Math.trunc(options.maxBatch ?? 1024));
    this.#timer = seconds > 0 ? setInterval(() => this.#tick(), seconds * 1000) : null;
    // The timer must not keep a finished CLI or test process alive.
    this.#timer?.unref();
  }

  static async open(options: LedgerOptions): Promise<Ledger> {
    const key = options.signingKey;
    if (key?.type !== "private" || key.asymmetricKeyType !== "ed25519") {
      throw new WardenError(
        "LEDGER_KEY_MISSING",
        "the ledger needs an Ed25519 private key to sign checkpoints",
      );
    }
    const chain = options.chain ?? "main";
    if (!CHAIN_NAME.test(chain)) {
      throw new WardenError(
        "INVALID_REQUEST",
        "a chain name is 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit",
      );
    }
    // Touch the store now so a broken database fails at startup, not on the first tool call.
    const head = await options.store.head(chain);
    const ledger = new Ledger(options);
    // A tail left unsigned by a crash is signed now: until then verify reports it as an unsealed tail.
    if (head !== null && head.seq > (head.checkpointSeq ?? 0)) {
      ledger.#unsigned = true;
      await ledger.checkpointNow().catch(() => undefined);
    }
    return ledger;
  }

  /** Resolves with the sealed record once it is durable; rejects with LEDGER_UNAVAILABLE if it is not. */
  async append(input: RecordInput, options: AppendOptions = {}): Promise<LedgerRecord> {
    if (this.#closed) throw new LedgerUnavailableError("ledger closed");
    const snapshot = snapshotInput(input);
    // Canonicalized here, outside the store's write lock (the text is remembered for the hash and the row).
    canonicalData(snapshot.data);
    return new Promise<LedgerRecord>((resolve, reject) => {
      this.#queue.push({ input: snapshot, resolve, reject });
      if (options.batch === "next") this.#joinNext();
      else this.#schedule();
    });
  }

  /** Signs the current head now (after pending appends); null when a checkpoint already covers it. */
  checkpointNow(): Promise<Checkpoint | null> {
    if (this.#closed) return Promise.reject(new LedgerUnavailableError("ledger closed"));
    return this.#requestCheckpoint();
  }

  /** The chain head as the store has it (other processes may have appended since this ledger did). */
  head(): Promise<ChainHead | null> {
    return this.store.head(this.chain);
  }

  stats(): LedgerStats {
    return { ...this.#stats };
  }

  /** Calls `listener` with each committed batch's records; returns the unsubscribe function. */
  onAppend(listener: AppendListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Flushes pending appends, signs the head if unsigned, stops the timer and closes the store. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#closing = this.#requestCheckpoint().then(
      () => this.store.close(),
      async (err: unknown) => {
        await this.store.close().catch(() => undefined);
        throw err;
      },
    );
    return this.#closing;
  }

  #tick(): void {
    if (this.#unsigned && !this.#closed) this.#requestCheckpoint().catch(() => undefined);
  }

  #requestCheckpoint(): Promise<Checkpoint | null> {
    return new Promise<Checkpoint | null>((resolve, reject) => {
      this.#checkpointWaiters.push({ resolve, reject });
      this.#schedule();
    });
  }

  #joinNext(): void {
    if (this.#joinTimer !== null) return;
    this.#joinTimer = setTimeout(() => {
      this.#joinTimer = null;
      this.#schedule();
    }, JOIN_NEXT_MS);
    // close() flushes the queue: the timer must not keep a finished process alive.
    this.#joinTimer.unref();
  }

  #schedule(): void {
    // Wait for the check phase: by then every caller whose previous record just committed has run on to
    // its next append, and every request already readable has been delivered, so they share one batch.
    if (this.#scheduled || this.#flushing) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      const batch = this.#queue.splice(0, this.#batchLength());
      if (this.#queue.length === 0 && this.#joinTimer !== null) {
        clearTimeout(this.#joinTimer);
        this.#joinTimer = null;
      }
      // A forced checkpoint must cover everything appended before it was asked for: wait for the last
      // batch. Not a lone decision's batch, whose refusal would fail the checkpoint too.
      const lone = batch.length === 1 && batch[0]!.input.kind === "approval.decision";
      const waiters = this.#queue.length === 0 && !lone ? this.#checkpointWaiters.splice(0) : [];
      await this.#flushBatch(batch, waiters);
    } finally {
      this.#flushing = false;
    }
    // Not a tight loop: going back through the check phase lets the callers just released join the next batch.
    if (this.#queue.length > 0 || this.#checkpointWaiters.length > 0) this.#schedule();
  }

  /**
   * How many queued records the next batch takes. An `approval.decision` goes in a batch of its own:
   * the store may refuse it (the approval already has its final decision), and that refusal must not
   * fail the records of other callers.
   */
  #batchLength(): number {
    const limit = Math.min(this.#maxBatch, this.#queue.length);
    const solo = (p: Pending) => p.input.kind === "approval.decision";
    if (limit > 0 && solo(this.#queue[0]!)) return 1;
    for (let i = 1; i < limit; i++) if (solo(this.#queue[i]!)) return i;
    return limit;
  }

  async #flushBatch(batch: Pending[], waiters: CheckpointWaiter[]): Promise<void> {
    let checkpoint: Checkpoint | null = null;
    let unsigned = this.#unsigned;
    const seal: Sealer = (head, signed) => {
      const out = this.#seal(head, signed, batch, waiters.length > 0);
      checkpoint = out.checkpoint;
      unsigned = out.unsigned;
      return out;
    };
    let records: LedgerRecord[];
    try {
      records = await this.store.append(this.chain, seal);
      if (records.length !== batch.length) throw new Error("store returned a different number of records");
    } catch (err) {
      this.#stats.failedBatches++;
      // A store's refusal of a record (a typed WardenError, e.g. APPROVAL_CLOSED) reaches the caller as is.
      const e = err instanceof WardenError ? err : new LedgerUnavailableError("append failed", err);
      for (const p of batch) p.reject(e);
      for (const w of waiters) w.reject(e);
      return;
    }
    this.#unsigned = unsigned;
    this.#stats.batches++;
    this.#stats.records += records.length;
    this.#stats.largestBatch = Math.max(this.#stats.largestBatch, records.length);
    if (checkpoint) this.#stats.checkpoints++;
    for (const [i, p] of batch.entries()) p.resolve(records[i]!);
    for (const w of waiters) w.resolve(checkpoint);
    if (records.length > 0) this.#notify(records);
  }

  // Runs inside the store's transaction with the head it read there: a failed batch never moves the chain.
  #seal(head: ChainHead | null, signed: SignedHeads, batch: Pending[], force: boolean) {
    let seq = head?.seq ?? 0;
    let prev = head?.hash ?? GENESIS_HASH;
    const now = this.#clock().toISOString();
    // Never earlier than the head (clock steps, other processes): ts order then matches seq order.
    const ts = head?.ts !== undefined && head.ts > now ? head.ts : now;
    const records = batch.map(({ input }): LedgerRecord => {
      seq++;
      const body = { v: 1 as const, chain: this.chain, seq, ts, ...input };
      prev = recordHash(prev, body);
      return { ...body, hash: prev };
    });
    const signedSeq = head?.checkpointSeq ?? 0;
    const due = seq > signedSeq && (force || seq - signedSeq >= this.#cadence.records);
    const checkpoint = due ? this.#sign(seq, prev, ts, { ...signed, [this.chain]: seq }) : null;
    return { records, checkpoint, unsigned: !due && seq > signedSeq };
  }

  #sign(seq: number, hash: string, ts: string, chains: SignedHeads): Checkpoint {
    const body = { v: 2 as const, chain: this.chain, seq, hash, ts, chains, cadence: { ...this.#cadence } };
    const signature = sign(null, checkpointMessage(body), this.#key).toString("base64");
    return { ...body, signature, keyId: this.keyId };
  }

  #notify(records: readonly LedgerRecord[]): void {
    for (const listener of this.#listeners) {
      try {
        listener(records);
      } catch {
        // A failing view (metrics, live tail) must never fail the ledger or the caller whose record is durable.
      }
    }
  }
}
