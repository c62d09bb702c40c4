// The writer's hashing: RFC 8785 canonical JSON, record hashes and the bytes a checkpoint signs.
import { hash } from "node:crypto";
import { canonicalJson } from "../digest.js";
import type { JsonObject } from "../json.js";
import type { Checkpoint, LedgerRecord } from "./types.js";

// A record's data is canonicalized twice per append (its hash, its stored column). Records are frozen
// snapshots once sealed, so the text can be remembered per object instead of computed again.
const dataText = new WeakMap<JsonObject, string>();

/** RFC 8785 canonical JSON of a sealed record's data, computed once per object. */
export function canonicalData(data: JsonObject): string {
  let text = dataText.get(data);
  if (text === undefined) {
    text = canonicalJson(data);
    dataText.set(data, text);
  }
  return text;
}

/** `SHA-256(prevHash ‖ canonical JSON of the record without its hash)`, hex. */
export function recordHash(prevHash: string, record: Omit<LedgerRecord, "hash">): string {
  // The canonical form written out (members in RFC 8785 order: agent, callId, chain, data, kind, seq,
  // session, ts, v), naming each field so a stray property can never slip into (or out of) the hash.
  const s = JSON.stringify;
  const body =
    `{"agent":${s(record.agent)},"callId":${s(record.callId)},"chain":${s(record.chain)},` +
    `"data":${canonicalData(record.data)},"kind":${s(record.kind)},"seq":${canonicalJson(record.seq)},` +
    `"session":${s(record.session)},"ts":${s(record.ts)},"v":${canonicalJson(record.v)}}`;
  // One-shot hashing: the same bytes (prevHash then body, UTF-8) without a Hash object per record.
  return hash("sha256", prevHash + body, "hex");
}

/**
 * The exact bytes a checkpoint signature covers: canonical JSON of {chain, seq, hash, ts}, plus
 * {v, chains, cadence} for format 2.
 */
export function checkpointMessage(c: Omit<Checkpoint, "signature" | "keyId">): Buffer {
  const base = { chain: c.chain, seq: c.seq, hash: c.hash, ts: c.ts };
  const body = c.v === 2 ? { ...base, v: 2, chains: c.chains ?? {}, cadence: c.cadence ?? null } : base;
  return Buffer.from(canonicalJson(body), "utf8");
}
