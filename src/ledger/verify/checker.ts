// The verifier's core: a streaming state machine per chain that re-derives every hash and checks every signature.
import { createHash, verify } from "node:crypto";
// Deliberately not the writer's hash.ts: a bug or shortcut there must not be able to hide here too.
import { canonical, recordBody } from "./canonical.js";
import type { VerifyKey } from "./key.js";
import type { ChainSummary, VerifyFailure, VerifyProblem, VerifyResult } from "./result.js";

const GENESIS = "0".repeat(64);
const RECORD_FIELDS = ["v", "chain", "seq", "ts", "kind", "session", "agent", "callId", "data", "hash"];
const CHECKPOINT_FIELDS = ["chain", "seq", "hash", "ts", "signature", "keyId"];

interface ChainState {
  summary: ChainSummary;
  nextSeq: number;
  lastHash: string;
  /** The first checkpoint seen before its record, if any: the log was cut, or lines were moved. */
  pendingSeq: number | null;
}

type Obj = Record<string, unknown>;

/**
 * Feed it records and checkpoints in chain order (a checkpoint right after the record at its seq);
 * it stops at the first problem. Never throws on bad input: everything odd becomes a failure.
 */
export class Checker {
  failure: VerifyFailure | null = null;
  readonly #key: VerifyKey;
  readonly #chains = new Map<string, ChainState>();
  #current: ChainState | null = null;
  #records = 0;
  #checkpoints = 0;

  constructor(key: VerifyKey) {
    this.#key = key;
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
    if (n > st.nextSeq)
      return this.fail("seq-gap", chain, st.nextSeq, `records ${st.nextSeq}..${n - 1} are missing`, line);
    if (n < st.nextSeq)
      return this.fail("seq-order", chain, n, `seq ${n} repeats or goes back after ${st.nextSeq - 1}`, line);
    const body = recordBody(chain, n, ts, kind, session, agent, callId, dataText);
    const expected = createHash("sha256").update(st.lastHash, "utf8").update(body, "utf8").digest("hex");
    if (expected !== hash) {
      return this.fail("hash-mismatch", chain, n, "hash does not match the record and its predecessor", line);
    }
    st.lastHash = hash;
    st.nextSeq = n + 1;
    st.summary.records++;
    this.#records++;
    return true;
  }

  checkpoint(raw: unknown, line?: number, tagged = false): boolean {
    if (this.failure) return false;
    const o = shape(raw, CHECKPOINT_FIELDS, tagged);
    if (typeof o === "string") return this.fail("malformed", null, null, `not a checkpoint: ${o}`, line);
    const { chain, seq, hash, ts, signature, keyId } = o;
    if (typeof chain !== "string")
      return this.fail("malformed", null, null, "checkpoint chain is not a string", line);
    if (!Number.isSafeInteger(seq) || (seq as number) < 1) {
      return this.fail("malformed", chain, null, "checkpoint seq is not a positive integer", line);
    }
    const n = seq as number;
    if (
      typeof hash !== "string" ||
      typeof ts !== "string" ||
      typeof signature !== "string" ||
      typeof keyId !== "string"
    ) {
      return this.fail("malformed", chain, n, "a checkpoint field has the wrong type", line);
    }
    const { publicKey, keyId: trusted } = this.#key;
    if (!publicKey)
      return this.fail("key-missing", chain, n, "checkpoints exist but no public key was found", line);
    if (keyId !== trusted)
      return this.fail("checkpoint-unknown-key", chain, n, "checkpoint signed by another key", line);
    const sig = Buffer.from(signature, "base64");
    const payload = canonical({ chain, seq, hash, ts }) ?? "";
    // Canonical base64 only: otherwise a flipped padding bit would leave the same signature bytes.
    if (
      sig.length !== 64 ||
      sig.toString("base64") !== signature ||
      !verify(null, Buffer.from(payload), publicKey, sig)
    ) {
      return this.fail("checkpoint-signature", chain, n, "checkpoint signature does not verify", line);
    }
    const st = this.#state(chain);
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
    this.#checkpoints++;
    return true;
  }

  /** Ends the stream: a checkpoint past the last record means the log was cut after it was signed. */
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
    if (this.failure) return this.failure;
    return {
      ok: true,
      chains: [...this.#chains.values()].map((s) => ({ ...s.summary })),
      records: this.#records,
      checkpoints: this.#checkpoints,
      keySource: this.#key.source,
    };
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
        summary: { chain, records: 0, checkpoints: 0, lastCheckpointSeq: 0 },
        nextSeq: 1,
        lastHash: GENESIS,
        pendingSeq: null,
      };
      this.#chains.set(chain, st);
    }
    this.#current = st;
    return st;
  }
}

/** The object if it has exactly `fields` (plus `type` when tagged), or why not. */
function shape(raw: unknown, fields: readonly string[], tagged: boolean): Obj | string {
  if (!isObject(raw)) return "not a JSON object";
  let count = 0;
  for (const f of fields) {
    if (!Object.hasOwn(raw, f)) return `missing "${f}"`;
    count++;
  }
  if (tagged && Object.hasOwn(raw, "type")) count++;
  if (Object.keys(raw).length !== count) return "unexpected field";
  return raw;
}

function isObject(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
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
