// The ledger contract: record shapes, the store interface every backend implements, and query filters.
import type { JsonObject } from "../json.js";

import type { RecordData, RecordKind } from "./records/index.js";

export type { RecordKind };

/**
 * What a caller hands the ledger: everything but the position in the chain. Generic over the kind, so
 * `data` must have that kind's shape (src/ledger/records/); `RecordInput` alone is any kind's.
 */
export type RecordInput<K extends RecordKind = RecordKind> = {
  [P in K]: {
    kind: P;
    session: string | null;
    agent: string | null;
    callId: string | null;
    data: RecordData<P>;
  };
}[K];

/** A record input after the ledger checked and copied it: its data is plain JSON of its kind's shape. */
export interface SealableInput {
  kind: RecordKind;
  session: string | null;
  agent: string | null;
  callId: string | null;
  data: JsonObject;
}

/**
 * A sealed record. `hash = SHA-256(prevHash ‖ canonical JSON of the record without `hash`)`, hex;
 * the first record of a chain uses GENESIS_HASH as prevHash. `v` is the record format version.
 * `data` is as stored, not yet checked against its kind: readers go through records/read.ts for a typed view.
 */
export interface LedgerRecord extends SealableInput {
  v: 1;
  chain: string;
  seq: number;
  ts: string;
  hash: string;
}

/** How often a writer promises to checkpoint: once `records` records are unsigned, and `seconds` after a record (0: no timer). */
export interface Cadence {
  records: number;
  seconds: number;
}

/**
 * A signed statement "chain `chain` had `hash` at `seq`". Format 1 (older ledgers, `v` absent) signs
 * canonical {chain, seq, hash, ts}; format 2 signs canonical {v, chain, seq, hash, ts, chains, cadence},
 * so the set of chains and the promised cadence cannot be changed or dropped without the key.
 */
export interface Checkpoint {
  chain: string;
  seq: number;
  hash: string;
  ts: string;
  /** base64 Ed25519 signature. */
  signature: string;
  /** sha256:<hex> of the signing public key (SPKI DER), so a verifier knows which key to use. */
  keyId: string;
  /** 2 for this format; absent on format-1 checkpoints. */
  v?: 2;
  /** Every chain the database held checkpoints for, with its latest checkpointed seq (this one's own included). */
  chains?: SignedHeads;
  /** The cadence the writer keeps from this checkpoint on. */
  cadence?: Cadence;
}

/** Chain name → the seq of its latest checkpoint. */
export type SignedHeads = Record<string, number>;

export interface ChainHead {
  seq: number;
  hash: string;
  /** Seq of the chain's latest checkpoint (0 if none), read in the same transaction, so "every N" holds across processes. */
  checkpointSeq?: number;
  /** ts of the head record; the writer never stamps a later record earlier than this, so ts order is seq order. */
  ts?: string;
}

/**
 * Computes the records of one batch from the chain head read inside the store's transaction, and
 * `signed`, every chain's latest checkpoint as of that transaction (what a new checkpoint attests).
 */
export type Sealer = (
  head: ChainHead | null,
  signed: SignedHeads,
) => { records: LedgerRecord[]; checkpoint: Checkpoint | null };

export interface SessionRow {
  id: string;
  agent: string;
  onBehalfOf: string;
  intent: string;
  parent: string | null;
  startedAt: string;
  endedAt: string | null;
  endReason: string | null;
}

export interface RecordQuery {
  session?: string;
  agent?: string;
  tool?: string;
  callId?: string;
  /** effect of call.intent records: allow | deny | ask */
  decision?: string;
  kinds?: RecordKind[];
  /** ISO timestamp; records at or after it. */
  since?: string;
  /** ISO timestamp; records before it. */
  until?: string;
  /** Records of sessions opened on behalf of this user (the session's `onBehalfOf`). */
  user?: string;
  /**
   * Keyset paging: records strictly after this position in the query's order (ts, chain, seq), so a
   * page never repeats or skips a record however many are appended meanwhile.
   */
  after?: RecordPosition;
  /** Newest first when true (for `warden log`); chain order otherwise. */
  newestFirst?: boolean;
  limit?: number;
}

/** Where a record sits in query order. */
export interface RecordPosition {
  ts: string;
  chain: string;
  seq: number;
}

export interface TokenRow {
  id: string;
  /** sha256 hex of the secret token; the token itself is never stored. */
  hash: string;
  role: "agent" | "approver" | "auditor" | "admin";
  agent: string | null;
  /** The person (or service) behind the token, as approvals and the dashboard name them. */
  name: string | null;
  createdAt: string;
  revokedAt: string | null;
  /** When the token stops working (`warden token create --ttl`); null: never. */
  expiresAt: string | null;
  /** When the service last accepted it (written at most once per token-cache period); null: never used. */
  lastUsedAt: string | null;
}

/**
 * A ledger backend. Appends are atomic per batch: all records (and the checkpoint) of a batch are
 * durable when the promise resolves, or none is and it rejects. The store also keeps the derived
 * tables (sessions) in the same transaction, from the records' kinds.
 */
export interface LedgerStore {
  /**
   * Capability: session ends written by other processes or instances on the same database, so every
   * process stops what the session holds (the SQLite and PostgreSQL stores have it).
   */
  readonly sessionFeed?: SessionFeed | null;
  /** Capability: token buckets every instance sees, so rate limits hold across instances (PostgreSQL). */
  readonly buckets?: SharedBuckets | null;
  /**
   * Capability: the sealed (encrypted) arguments of pending approvals, kept beside the ledger and never
   * in it, so approvers see what the ledger holds only as digests (the SQLite, PostgreSQL and memory stores).
   */
  readonly heldArgs?: HeldArgsTable | null;
  /**
   * Capability: caller-chosen call ids claimed once for every process on the database, so two
   * instances cannot both record a call under one id (the SQLite and PostgreSQL stores).
   */
  readonly callIds?: CallIdClaims | null;
  /**
   * Capability: the database file, so a verifier can read it on its own, apart from this process's
   * writer, and find the key beside it (the SQLite store; null for an in-memory database).
   */
  readonly file?: string | null;
  /**
   * Capability: a number that moves only when another connection commits to the database (SQLite's
   * PRAGMA data_version), so a reader polling for other processes' records can skip a poll while it
   * stands still. Absent where that cannot be known (every poll then reads).
   */
  changeStamp?(): number;
  /** Capability: the public keys the writers registered in the database, oldest first (PostgreSQL). */
  publicKeys?(): Promise<string[]>;
  /** Reads the head of `chain` inside the write transaction, calls `seal`, writes its result. */
  append(chain: string, seal: Sealer): Promise<LedgerRecord[]>;
  appendCheckpoint(checkpoint: Checkpoint): Promise<void>;
  head(chain: string): Promise<ChainHead | null>;
  chains(): Promise<string[]>;
  /** Records of one chain in seq order, from `fromSeq` (inclusive), at most `limit`. */
  readChain(chain: string, fromSeq: number, limit: number): Promise<LedgerRecord[]>;
  query(q: RecordQuery): Promise<LedgerRecord[]>;
  checkpoints(chain: string): Promise<Checkpoint[]>;
  /**
   * Capability: checkpoints of `chain` after `afterSeq`, in seq order, at most `limit`: a page, for a
   * reader that must not load every checkpoint the chain ever had (the exporter). Every built-in store has it.
   */
  checkpointsAfter?(chain: string, afterSeq: number, limit: number): Promise<Checkpoint[]>;
  session(id: string): Promise<SessionRow | null>;
  sessions(q: { agent?: string; active?: boolean; limit?: number }): Promise<SessionRow[]>;
  putToken(row: TokenRow): Promise<void>;
  tokenByHash(hash: string): Promise<TokenRow | null>;
  /** The distinct names of all tokens, revoked ones too (a new name must not pass for one of them). */
  tokenNames(): Promise<string[]>;
  /** Every token, revoked and expired ones too, oldest first (never the secrets: only digests are stored). */
  tokens(): Promise<TokenRow[]>;
  /** Records that the service accepted token `id` at `at`. */
  touchToken(id: string, at: string): Promise<void>;
  /** Marks a token revoked; false if there is no such (unrevoked) token. */
  revokeToken(id: string, at: string): Promise<boolean>;
  /** Export cursor: the last seq of `chain` that sink `sink` acknowledged (0 if none). */
  getCursor(sink: string, chain: string): Promise<number>;
  /** Moves the export cursor forward; a lower seq than the stored one is ignored (never moves back). */
  putCursor(sink: string, chain: string, seq: number): Promise<void>;
  close(): Promise<void>;
}

/** Caller-chosen call ids, claimed before the call's intent is recorded. */
export interface CallIdClaims {
  /** Claims `callId` (or a reported outcome's key); false when any process claimed it before. */
  claim(callId: string, at: string): Promise<boolean>;
  /** Gives back a claim whose intent could not be recorded. */
  release(callId: string): Promise<void>;
}

/** One token bucket a call must take a token from: `burst` tokens at most, refilled at `perMs` tokens/ms. */
export interface BucketTake {
  key: string;
  burst: number;
  perMs: number;
}

export type BucketResult = { ok: true } | { ok: false; index: number; retryAfterMs: number };

/**
 * Token buckets kept where every instance sees them (the PostgreSQL store has them), so a rate limit
 * holds across instances. A take is all-or-nothing: a token from every one of `buckets`, or none
 * (then `index` names the first empty bucket).
 */
export interface SharedBuckets {
  take(buckets: BucketTake[]): Promise<BucketResult>;
  /** Gives back the token a take spent on each of `keys` (a call whose intent could not be recorded). */
  refund(keys: string[]): Promise<void>;
}

/** One pending approval's sealed arguments: ciphertext only; `approvals/held-args` seals and opens it. */
export interface HeldArgsRow {
  approvalId: string;
  session: string;
  /** ISO-8601; a row past it is never returned and is swept. */
  expiresAt: string;
  sealed: string;
}

/** Rows live only while their approval is pending: deleted when it is decided, expires or its session ends. */
export interface HeldArgsTable {
  /** Inserts or replaces the row of `approvalId`. */
  put(row: HeldArgsRow): Promise<void>;
  /** The row, or null when there is none or it expired by `now` (ISO-8601). */
  get(approvalId: string, now: string): Promise<HeldArgsRow | null>;
  delete(approvalId: string): Promise<void>;
  deleteSession(session: string): Promise<void>;
  /** Removes rows expired by `now` (ISO-8601); returns how many. */
  deleteExpired(now: string): Promise<number>;
}

/** Session ends made by other instances, for caches (the PostgreSQL store has it, via LISTEN/NOTIFY). */
export interface SessionFeed {
  /** `id` null: events may have been missed (the listener reconnected): drop every cached session. */
  subscribe(listener: (id: string | null) => void): () => void;
  /** False while events may be missed; a cache must then re-check the store. */
  readonly live: boolean;
}

export const GENESIS_HASH = "0".repeat(64);
