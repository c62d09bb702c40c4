// The writer's hashing: RFC 8785 canonical JSON, record hashes and the bytes a checkpoint signs.
import { createHash } from "node:crypto";
import { canonicalJson } from "../digest.js";
import type { LedgerRecord } from "./types.js";

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
