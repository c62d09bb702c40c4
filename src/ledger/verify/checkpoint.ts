// Reads one checkpoint as the verifier trusts it: exact fields, format 1 or 2, canonical base64, a valid Ed25519 signature.
import { verify } from "node:crypto";
import { canonical } from "./canonical.js";
import { trustedKey, type VerifyKey } from "./key.js";
import type { VerifyProblem } from "./result.js";
import type { Cadence } from "./sealing.js";

type Obj = Record<string, unknown>;

const CHECKPOINT_FIELDS = ["chain", "seq", "hash", "ts", "signature", "keyId"];
const CHECKPOINT_V2_FIELDS = [...CHECKPOINT_FIELDS, "v", "chains", "cadence"];

/** What a format-2 checkpoint signs besides {chain, seq, hash, ts}. */
export interface CheckpointScope {
  chains: Record<string, number>;
  cadence: Cadence;
}

/** A checkpoint whose signature verified with the trusted key; `scope` null for format 1. */
export interface SignedCheckpoint {
  chain: string;
  seq: number;
  hash: string;
  ts: string;
  scope: CheckpointScope | null;
  keyId: string;
}

export interface CheckpointProblem {
  problem: VerifyProblem;
  chain: string | null;
  seq: number | null;
  message: string;
}

/** `raw` as a signed checkpoint, or why not; `tagged`: it may carry `type` (an export line). Never throws. */
export function readCheckpoint(
  raw: unknown,
  tagged: boolean,
  key: VerifyKey,
): SignedCheckpoint | CheckpointProblem {
  const v2 = isObject(raw) && Object.hasOwn(raw, "v");
  const o = shape(raw, v2 ? CHECKPOINT_V2_FIELDS : CHECKPOINT_FIELDS, tagged);
  if (typeof o === "string") return bad("malformed", null, null, `not a checkpoint: ${o}`);
  const { chain, seq, hash, ts, signature, keyId } = o;
  if (typeof chain !== "string") return bad("malformed", null, null, "checkpoint chain is not a string");
  if (!Number.isSafeInteger(seq) || (seq as number) < 1) {
    return bad("malformed", chain, null, "checkpoint seq is not a positive integer");
  }
  const n = seq as number;
  if (
    typeof hash !== "string" ||
    typeof ts !== "string" ||
    typeof signature !== "string" ||
    typeof keyId !== "string"
  ) {
    return bad("malformed", chain, n, "a checkpoint field has the wrong type");
  }
  const scope = v2 ? checkpointScope(o, chain, n) : null;
  if (typeof scope === "string") return bad("malformed", chain, n, scope);
  if (!key.publicKey) return bad("key-missing", chain, n, "checkpoints exist but no public key was found");
  const publicKey = trustedKey(key, keyId);
  if (!publicKey) return bad("checkpoint-unknown-key", chain, n, "checkpoint signed by another key");
  const sig = Buffer.from(signature, "base64");
  const payload =
    canonical(scope ? { chain, seq, hash, ts, v: 2, ...scope } : { chain, seq, hash, ts }) ?? "";
  // Canonical base64 only: otherwise a flipped padding bit would leave the same signature bytes.
  if (
    sig.length !== 64 ||
    sig.toString("base64") !== signature ||
    !verify(null, Buffer.from(payload), publicKey, sig)
  ) {
    return bad("checkpoint-signature", chain, n, "checkpoint signature does not verify");
  }
  return { chain, seq: n, hash, ts, scope, keyId };
}

/** The signed `chains` and `cadence` of a format-2 checkpoint, checked; or why they are malformed. */
function checkpointScope(o: Obj, chain: string, seq: number): CheckpointScope | string {
  if (o.v !== 2) return `checkpoint format ${String(o.v)} is not 2`;
  const { chains, cadence } = o;
  if (!isObject(chains)) return "checkpoint chains is not an object";
  for (const value of Object.values(chains)) {
    if (!Number.isSafeInteger(value) || (value as number) < 1) return "checkpoint chains holds a bad seq";
  }
  if (!Object.hasOwn(chains, chain) || chains[chain] !== seq)
    return "checkpoint chains does not name its own chain at its seq";
  if (!isObject(cadence) || Object.keys(cadence).sort().join(",") !== "records,seconds")
    return "checkpoint cadence is not {records, seconds}";
  const { records, seconds } = cadence;
  if (
    !Number.isSafeInteger(records) ||
    (records as number) < 1 ||
    typeof seconds !== "number" ||
    !(seconds >= 0)
  )
    return "checkpoint cadence holds a bad number";
  return { chains: chains as Record<string, number>, cadence: { records: records as number, seconds } };
}

function bad(problem: VerifyProblem, chain: string | null, seq: number | null, message: string) {
  return { problem, chain, seq, message };
}

/** The object if it has exactly `fields` (plus `type` when tagged), or why not. */
export function shape(raw: unknown, fields: readonly string[], tagged: boolean): Obj | string {
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

export function isObject(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
