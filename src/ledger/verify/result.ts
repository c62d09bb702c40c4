// What a verification returns: the counts of an intact ledger, or the first problem and where it is.

/** What is wrong, as a stable code; the message says it for a human. */
export type VerifyProblem =
  /** Not a record or checkpoint this format defines (unparseable, wrong field, wrong type). */
  | "malformed"
  | "unsupported-version"
  /**
   * Hash-valid, but the record's data does not match its kind's schema at its format version
   * (src/ledger/records/), or its kind is unknown: written by something other than Warden, or corrupt.
   */
  | "malformed-data"
  /** Records are missing: the next seq is higher than expected (deleted rows or lines). */
  | "seq-gap"
  /** A seq repeats or goes back (duplicated, inserted or reordered records). */
  | "seq-order"
  /** The record's hash is not SHA-256(prevHash ‖ its canonical JSON): it or its predecessor was changed. */
  | "hash-mismatch"
  /** The Ed25519 signature does not verify: the checkpoint was forged or altered. */
  | "checkpoint-signature"
  /** Validly signed, but the record at its seq has another hash: the chain was rewritten. */
  | "checkpoint-hash"
  /** A checkpoint repeats, goes back, or is not placed right after its record. */
  | "checkpoint-order"
  /** The checkpoint names a key other than the one verifying. */
  | "checkpoint-unknown-key"
  /** Checkpoints exist but there is no public key to check them with. */
  | "key-missing"
  | "key-invalid"
  /** The log ends before a checkpoint's seq (cut after signing), or an export lacks its end line. */
  | "truncated"
  /** An export's end line counts other totals than the file holds. */
  | "count-mismatch"
  /** A format-2 export's end line is not signed by the ledger key (the file was rewritten). */
  | "end-signature"
  /** More records past the last checkpoint, or older ones, than the writer's signed cadence allows. */
  | "unsealed-tail"
  /** A chain that a signed checkpoint names is missing, or ends before the checkpoint it was attested at. */
  | "chain-missing"
  /** A checkpoint held elsewhere (--against) is absent here, or here with another hash. */
  | "witness-mismatch"
  /**
   * A SQLite ledger's query index (record_index) disagrees with the records: it lacks a record it claims
   * to cover, or holds other values (time, kind, session, agent, call id, tool, effect) than the record,
   * so listings and filters (warden log, the dashboard) would show other facts than the signed records.
   */
  | "index-mismatch"
  /** The ledger holds no record at all. */
  | "empty"
  /** The file could not be opened or read as a ledger at all. */
  | "unreadable";

/** "given": the caller supplied the key (the real check). "beside-ledger": the key stored with the ledger, which whoever could edit the ledger could also replace. */
export type KeySource = "given" | "beside-ledger" | "none";

export interface ChainSummary {
  chain: string;
  records: number;
  checkpoints: number;
  /** Records after this seq are not covered by any signature yet. */
  lastCheckpointSeq: number;
  /** How many records follow the last checkpoint (the unsealed tail). */
  unsealed: number;
  /** ts of the tail's first record, null when every record is sealed. */
  unsealedSince: string | null;
  /**
   * Present when the chain starts after a signed checkpoint instead of at seq 1: the records up to this
   * seq were archived (see docs/ledger.md, Retention) and are not checked here.
   */
  archivedThrough?: number;
}

export interface VerifyOk {
  ok: true;
  chains: ChainSummary[];
  records: number;
  checkpoints: number;
  keySource: KeySource;
}

export interface VerifyFailure {
  ok: false;
  /** null when the problem is not in one chain (file header, unreadable file). */
  chain: string | null;
  /** The first bad record's seq (for a gap: the first missing one); null when not about a record. */
  seq: number | null;
  problem: VerifyProblem;
  message: string;
  /** 1-based line of a JSONL export. */
  line?: number;
  keySource: KeySource;
}

export type VerifyResult = VerifyOk | VerifyFailure;
