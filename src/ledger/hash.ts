// The writer's hashing: RFC 8785 canonical JSON, record hashes and the bytes a checkpoint signs.
import { createHash } from "node:crypto";
import canonicalizeModule from "canonicalize";
import type { LedgerRecord } from "./types.js";

// The package is CommonJS whose typings declare an ES default export; at runtime the default import is the function.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/** RFC 8785 canonical JSON of a JSON value. Throws on values JSON cannot carry (NaN, Infinity, undefined at top). */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError("value has no canonical JSON form");
  return text;
}

/** `SHA-256(prevHash ‖ canonical JSON of the record without its hash)`, hex. */
export function recordHash(prevHash: string, record: Omit<LedgerRecord, "hash">): string {
  // Pick the fields explicitly so a stray property on the object can never slip into (or out of) the hash.
  const body = {
    v: record.v,
    chain: record.chain,
    seq: record.seq,
    ts: record.ts,
    kind: record.kind,
    session: record.session,
    agent: record.agent,
    callId: record.callId,
    data: record.data,
  };
  return createHash("sha256").update(prevHash, "utf8").update(canonicalJson(body), "utf8").digest("hex");
}

/** The exact bytes a checkpoint signature covers: canonical JSON of {chain, seq, hash, ts}. */
export function checkpointMessage(c: { chain: string; seq: number; hash: string; ts: string }): Buffer {
  return Buffer.from(canonicalJson({ chain: c.chain, seq: c.seq, hash: c.hash, ts: c.ts }), "utf8");
}
