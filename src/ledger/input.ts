// Checks and snapshots what a caller appends, before it joins a batch: one bad input must not sink its batch-mates.
import { InvalidArgsError, MalformedRecordError, WardenError } from "../errors.js";
import { type JsonObject, toJsonValue } from "../json.js";
import { checkRecordData, isRecordKind, RECORD_VERSION } from "./records/index.js";
import type { RecordInput, SealableInput } from "./types.js";

export { isRecordKind };

// A lone surrogate survives JSON escaping but not SQLite's UTF-8 columns, so the hash would not survive a round
// trip; PostgreSQL text cannot hold NUL at all (inside `data` both are escaped JSON and harmless).
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * A deep copy of `input` as plain JSON. The copy matters: the record is hashed later, in the next
 * batch, and a caller mutating its object meanwhile must not change what gets recorded.
 */
export function snapshotInput(input: RecordInput): SealableInput {
  if (!isRecordKind(input.kind)) throw new WardenError("INVALID_REQUEST", "unknown ledger record kind");
  const session = label(input.session, "session");
  const agent = label(input.agent, "agent");
  const callId = label(input.callId, "callId");
  const data = toJsonValue(input.data, ["data"]);
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new InvalidArgsError("record data must be a JSON object", ["data"]);
  }
  // Typed writers cannot build a wrong shape; this stops one that got past the types (a cast, plain JS),
  // so the ledger never seals a record `warden verify` would call malformed.
  const shape = checkRecordData(RECORD_VERSION, input.kind, data);
  if (!shape.ok) throw new MalformedRecordError({ chain: null, seq: null, kind: input.kind }, shape.problem);
  return { kind: input.kind, session, agent, callId, data: data as JsonObject };
}

/** Chain names and the session/agent/callId columns: a well-formed string, or null where allowed. */
export function label(value: unknown, name: string): string | null {
  if (value === null) return null;
  if (typeof value !== "string" || LONE_SURROGATE.test(value) || value.includes("\u0000")) {
    throw new WardenError("INVALID_REQUEST", `${name} must be a well-formed string or null`);
  }
  return value;
}
