// The verifier's core: a streaming state machine per chain that re-derives every hash and checks every signature.
import { createHash } from "node:crypto";
import { hasDuplicateKey } from "../../json.js";
// The record schemas are the format's definition, shared with writers on purpose; nothing else of the writer is.
import { checkRecordData } from "../records/index.js";
// Deliberately not the writer's hash.ts: a bug or shortcut there must not be able to hide here too.
import { canonical, recordBody } from "./canonical.js";
import { isObject, readCheckpoint, shape } from "./checkpoint.js";
import { keyFromSpkiBase64, type VerifyKey, withKeys } from "./key.js";
import type { VerifyFailure, VerifyProblem, VerifyResult } from "./result.js";
import { Rotations } from "./rotations.js";
import { type ChainState, type SealingRules, sealingProblem } from "./sealing.js";
import { type Witnesses, witnessMap } from "./witness.js";

const GENESIS = "0".repeat(64);
const RECORD_FIELDS = ["v", "chain", "seq", "ts", "kind", "session", "agent", "callId", "data", "hash"];

/**
 * Feed it records and checkpoints in chain order (a checkpoint right after the record at its seq);
 * it stops at the first problem. Never throws on bad input: everything odd becomes a failure.
 */
export class Checker {
  failure: VerifyFailure | null = null;
  #key: VerifyKey;
  /** The trusted keys besides the verifying one were given as retired ones (see `#strict`). */
  readonly #retired: boolean;
  /** The key.rotate records seen and which key signed what: what a retired key may vouch for (rotations.ts). */
  readonly #rotations = new Rotations();
  readonly #rules: SealingRules;
  readonly #chains = new Map<string, ChainState>();
  #current: ChainState | null = null;
  #records = 0;
  #checkpoints = 0;
  /** Witnessed checkpoints (chain → seq → hash); `#unseen` those not yet found here. */
  readonly #witnesses: Witnesses = new Map();
  readonly #unseen: Witnesses = new Map();

  /** `rules`: what the end of each chain must satisfy (unsealed tail, chain set, witnesses); see sealing.ts. */
  constructor(key: VerifyKey, rules: SealingRules = {}) {
    this.#key = key;
    this.#retired = key.retired === true;
    this.#rules = rules;
    if (rules.witnesses) {
      const witnesses = witnessMap(rules.witnesses, key);
      if (typeof witnesses === "string") this.fail("witness-mismatch", null, null, witnesses);
      else {
        this.#witnesses = witnesses;
        for (const [chain, seqs] of witnesses) this.#unseen.set(chain, new Map(seqs));
      }
    }
  }

  /** A parsed record object; `tagged`: it may also carry `type` (an export line). False once verification failed. */
  record(raw: unknown, line?: number, tagged = false): boolean {
    if (this.failure) return false;
    const o = shape(raw, RECORD_FIELDS, tagged);
    if (typeof o === "string") return this.fail("malformed", null, null, `not a record: ${o}`, line);
    if (!isObject(o.data)) {
      return this.fail("malformed", str(o.chain), int(o.seq), "record data is not an object", line);
    }
    const dataText = canonical(o.data);
    if (dataText === undefined) {
      return this.fail("malformed", str(o.chain), int(o.seq), "record data has no canonical JSON form", line);
    }
    return this.row(o.chain, o.seq, o.v, o.ts, o.kind, o.session, o.agent, o.callId, dataText, o.hash, line);
  }

  /**
   * A record as stored columns, its data as text. Hashing that text as is (it is canonical when the
   * writer wrote it) is sound: a matching SHA-256 means these are the exact bytes the writer hashed.
   */
  row(
    chain: unknown,
    seq: unknown,
    v: unknown,
    ts: unknown,
    kind: unknown,
    session: unknown,
    agent: unknown,
    callId: unknown,
    dataText: unknown,
    hash: unknown,
    line?: number,
  ): boolean {
    if (this.failure) return false;
    if (typeof chain !== "string")
      return this.fail("malformed", null, null, "record chain is not a string", line);
    const n = int(seq);
    if (n === null || n < 1)
      return this.fail("malformed", chain, null, "record seq is not a positive integer", line);
    if (v !== 1) {
      const problem = typeof v === "number" ? "unsupported-version" : "malformed";
      return this.fail(problem, chain, n, `record format version ${String(v)} is not 1`, line);
    }
    if (
      typeof ts !== "string" ||
      typeof kind !== "string" ||
      typeof hash !== "string" ||
      typeof dataText !== "string" ||
      !nullableString(session) ||
      !nullableString(agent) ||
      !nullableString(callId)
    ) {
      return this.fail("malformed", chain, n, "a record field has the wrong type", line);
    }
    const st = this.#state(chain);
    if (st.pendingSeq !== null) {
      return this.fail(
        "checkpoint-order",
        chain,
        st.pendingSeq,
        "a checkpoint comes before its record",
        line,
      );
    }
    if (n > st.nextSeq && this.#fresh(st)) {
      // A chain that starts later than seq 1 continues an archive: a checkpoint of that archive, held
      // elsewhere (--against), must have signed the hash this record was chained to.
      const anchor = this.#witnesses.get(chain)?.get(n - 1);
      if (anchor !== undefined) this.#startAfter(st, n - 1, anchor);
    }
    if (n > st.nextSeq)
      return this.fail("seq-gap", chain, st.nextSeq, `records ${st.nextSeq}..${n - 1} are missing`, line);
    if (n < st.nextSeq)
      return this.fail("seq-order", chain, n, `seq ${n} repeats or goes back after ${st.nextSeq - 1}`, line);
    const body = recordBody(chain, n, ts, kind, session, agent, callId, dataText);
    const expected = createHash("sha256").update(st.lastHash, "utf8").update(body, "utf8").digest("hex");
    if (expected !== hash) {
      return this.fail("hash-mismatch", chain, n, "hash does not match the record and its predecessor", line);
    }
    const witnessed = this.#witnesses.get(chain)?.get(n);
    if (witnessed !== undefined && witnessed !== hash) {
      return this.fail(
        "witness-mismatch",
        chain,
        n,
        "a checkpoint held elsewhere signed another hash for this record: the chain was rewritten",
        line,
      );
    }
    const shapeProblem = this.#shapeProblem(v, kind, dataText);
    if (shapeProblem !== null) return this.fail("malformed-data", chain, n, shapeProblem, line);
    if (kind === "key.rotate") this.#followRotation(chain, n, dataText);
    st.lastHash = hash;
    st.nextSeq = n + 1;
    st.summary.unsealedSince ??= ts;
    // The unsealed tail is held against the clock (sealing.ts): each of its times counts, not the first.
    const at = Date.parse(ts);
    if (!(at >= (st.unsealedLatest ?? at))) st.unsealedDisordered = true;
    st.unsealedLatest = Math.max(st.unsealedLatest ?? at, at);
    st.summary.unsealed++;
    st.summary.records++;
    this.#records++;
    return true;
  }

  checkpoint(raw: unknown, line?: number, tagged = false): boolean {
    if (this.failure) return false;
    const read = readCheckpoint(raw, tagged, this.#key);
    if ("problem" in read) return this.fail(read.problem, read.chain, read.seq, read.message, line);
    const { chain, seq: n, hash, scope } = read;
    // On the rotation's own chain the record is already here: refuse at once, at this checkpoint.
    // Other chains are judged at the end, when every rotation and the checkpoint sealing it are known.
    const retired = this.#rotations.retiredAt(chain, n, read.keyId);
    if (retired) {
      return this.fail(
        "checkpoint-unknown-key",
        chain,
        n,
        `checkpoint signed with a key retired by the key.rotate record at ${retired.chain}#${retired.seq}`,
        line,
      );
    }
    const st = this.#state(chain);
    if (this.#fresh(st)) {
      // A checkpoint before any record of its chain is where an archived chain resumes: its signed hash
      // is the predecessor of the next record. A checkpoint held elsewhere must agree with it.
      const witnessed = this.#witnesses.get(chain)?.get(n);
      if (witnessed !== undefined && witnessed !== hash) {
        return this.fail(
          "witness-mismatch",
          chain,
          n,
          "a checkpoint held elsewhere signed another hash at this seq: the chain was rewritten",
          line,
        );
      }
      this.#startAfter(st, n, hash);
    }
    if (n <= st.summary.lastCheckpointSeq) {
      return this.fail("checkpoint-order", chain, n, "checkpoint repeats or goes back", line);
    }
    const lastSeq = st.nextSeq - 1;
    if (n > lastSeq) st.pendingSeq ??= n;
    else if (n < lastSeq)
      return this.fail("checkpoint-order", chain, n, "checkpoint is not right after its record", line);
    else if (hash !== st.lastHash) {
      return this.fail(
        "checkpoint-hash",
        chain,
        n,
        "signed hash differs from the record's: the chain was rewritten",
        line,
      );
    }
    st.summary.checkpoints++;
    st.summary.lastCheckpointSeq = n;
    if (n === lastSeq) {
      st.summary.unsealed = 0;
      st.summary.unsealedSince = null;
      st.unsealedLatest = null;
      st.unsealedDisordered = false;
    }
    st.lastScope = scope;
    this.#rotations.checkpoint(chain, n, read.keyId, scope?.chains ?? null, hash);
    this.#unseen.get(chain)?.delete(n);
    this.#checkpoints++;
    return true;
  }

  /** The key checkpoints are checked with (an export's signed end line uses it too). */
  get key(): VerifyKey {
    return this.#key;
  }

  /**
   * Why `keyId` cannot vouch for the ledger as it now stands (an export's end line): a key.rotate record
   * retired it, or it is a trusted key no rotation names; null when it can. See rotations.ts.
   */
  keyRefusal(keyId: string): string | null {
    return this.#rotations.refusal(keyId, this.#key.keyId, this.#strict());
  }

  /** Each chain's last verified record so far: seq and hash (0 and the genesis hash before any). */
  heads(): Map<string, { seq: number; hash: string }> {
    const out = new Map<string, { seq: number; hash: string }>();
    for (const [chain, st] of this.#chains) out.set(chain, { seq: st.nextSeq - 1, hash: st.lastHash });
    return out;
  }

  /**
   * Ends the stream: a checkpoint past the last record means the log was cut after it was signed; then
   * the rules of sealing.ts (unsealed tails, the signed set of chains, witnesses).
   */
  finish(): VerifyResult {
    if (!this.failure) {
      for (const st of this.#chains.values()) {
        if (st.pendingSeq === null) continue;
        const last = st.nextSeq - 1;
        this.fail(
          "truncated",
          st.summary.chain,
          last + 1,
          `log ends at seq ${last}, a checkpoint covers seq ${st.pendingSeq}`,
        );
        break;
      }
    }
    if (!this.failure) {
      const retired = this.#rotations.problem(this.#key.keyId, this.#strict());
      if (retired) this.fail("checkpoint-unknown-key", retired.chain, retired.seq, retired.message);
    }
    if (!this.failure) {
      const found = sealingProblem(this.#chains, this.#rules) ?? this.#witnessMissing();
      if (found) this.fail(found.problem, found.chain, found.seq, found.message);
    }
    if (this.failure) return this.failure;
    return {
      ok: true,
      chains: [...this.#chains.values()].map((s) => ({ ...s.summary })),
      records: this.#records,
      checkpoints: this.#checkpoints,
      keySource: this.#key.source,
    };
  }

  /**
   * Why a hash-valid record's data does not match its kind's schema at its format version, or null.
   * Checked after the hash: a record changed after sealing is a hash mismatch first.
   */
  #shapeProblem(v: number, kind: string, dataText: string): string | null {
    let data: unknown;
    try {
      data = JSON.parse(dataText);
    } catch {
      return "record data is not JSON";
    }
    // The stored text is what was hashed; a repeated key would make a reader see other data than that.
    if (hasDuplicateKey(dataText)) return "record data names a key twice in one JSON object";
    const checked = checkRecordData(v, kind, data);
    if (checked.ok) return null;
    const { path, message } = checked.problem;
    return `${kind} record data${path ? `.${path}` : ""}: ${message}`;
  }

  /**
   * A key.rotate record (its hash already verified): what the retired key may still sign is judged by
   * rotations.ts. Without a given key, the new key it names is trusted from here on, as the key beside
   * the ledger is: that shows self-consistency only. With given keys, the new key must be among them.
   */
  #followRotation(chain: string, seq: number, dataText: string): void {
    let data: unknown;
    try {
      data = JSON.parse(dataText);
    } catch {
      return;
    }
    if (!isObject(data)) return;
    this.#rotations.add(chain, seq, data);
    if (this.#key.source !== "given" && typeof data.publicKey === "string") {
      const next = keyFromSpkiBase64(data.publicKey, this.#key.source);
      if (typeof next !== "string") this.#key = withKeys(this.#key, [next]);
    }
  }

  /**
   * Why a ledger without a key.rotate record is still held to the rotation rules (see rotations.ts), or
   * null. Some chain starts after archived records: what they held (a key.rotate record too) is not here.
   * Or the trusted keys besides the verifying one are known to be retired ones: a rotation retired them,
   * so its record is missing (removed with what followed it, to sign on with the old key).
   */
  #strict(): string | null {
    for (const st of this.#chains.values()) {
      if (st.summary.archivedThrough !== undefined)
        return "a ledger whose chains start after archived records is judged so too (give the key the ledger was written with first)";
    }
    if (this.#retired)
      return "the other trusted keys are ones rotations retired (ledger.retired-*.pub, an export's retiredKeys), so the ledger must hold their key.rotate records: one was removed";
    return null;
  }

  /** No record or checkpoint of this chain seen yet. */
  #fresh(st: ChainState): boolean {
    return st.summary.records === 0 && st.summary.checkpoints === 0 && st.nextSeq === 1;
  }

  /**
   * The chain resumes after `seq`, whose record had `hash`: the records up to it are archived elsewhere,
   * so checkpoints held elsewhere at or before it are not expected here.
   */
  #startAfter(st: ChainState, seq: number, hash: string): void {
    st.nextSeq = seq + 1;
    st.lastHash = hash;
    st.summary.archivedThrough = seq;
    const unseen = this.#unseen.get(st.summary.chain);
    for (const s of unseen?.keys() ?? []) if (s <= seq) unseen?.delete(s);
  }

  /** The first witnessed checkpoint absent here. */
  #witnessMissing(): { problem: VerifyProblem; chain: string; seq: number; message: string } | null {
    for (const [chain, seqs] of this.#unseen) {
      let seq = Number.POSITIVE_INFINITY;
      for (const s of seqs.keys()) seq = Math.min(seq, s);
      if (!Number.isFinite(seq)) continue;
      return {
        problem: "witness-mismatch",
        chain,
        seq,
        message: `the checkpoint at seq ${seq}, held elsewhere, is absent here: the ledger was cut or its checkpoints removed`,
      };
    }
    return null;
  }

  fail(
    problem: VerifyProblem,
    chain: string | null,
    seq: number | null,
    message: string,
    line?: number,
  ): false {
    this.failure ??= {
      ok: false,
      chain,
      seq,
      problem,
      message,
      ...(line === undefined ? {} : { line }),
      keySource: this.#key.source,
    };
    return false;
  }

  #state(chain: string): ChainState {
    if (this.#current?.summary.chain === chain) return this.#current;
    let st = this.#chains.get(chain);
    if (!st) {
      st = {
        summary: {
          chain,
          records: 0,
          checkpoints: 0,
          lastCheckpointSeq: 0,
          unsealed: 0,
          unsealedSince: null,
        },
        nextSeq: 1,
        lastHash: GENESIS,
        pendingSeq: null,
        lastScope: null,
        unsealedLatest: null,
        unsealedDisordered: false,
      };
      this.#chains.set(chain, st);
    }
    this.#current = st;
    return st;
  }
}

function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

function int(v: unknown): number | null {
  return Number.isSafeInteger(v) ? (v as number) : null;
}

function nullableString(v: unknown): v is string | null {
  return v === null || typeof v === "string";
}
