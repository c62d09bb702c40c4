// Checks and snapshots what a caller appends, before it joins a batch: one bad input must not sink its batch-mates.
import { InvalidArgsError, WardenError } from "../errors.js";
import { type JsonObject, toJsonValue } from "../json.js";
import type { RecordInput, RecordKind } from "./types.js";

// `satisfies` makes the compiler flag a RecordKind added to the union but not here.
const KINDS = {
  "session.start": true,
  "call.intent": true,
  "approval.request": true,
  "approval.decision": true,
  "approval.notify": true,
  "call.outcome": true,
  "secret.lease": true,
  "secret.revoke": true,
  "sandbox.violation": true,
  alert: true,
  "session.end": true,
  "policy.load": true,
  "mcp.tool.pin": true,
  "canary.create": true,
  "key.rotate": true,
} as const satisfies Record<RecordKind, true>;

/** Whether `kind` names a record kind this ledger writes (for filters taken from users). */
export function isRecordKind(kind: string): kind is RecordKind {
  return Object.hasOwn(KINDS, kind);
}

// A lone surrogate survives JSON escaping but not SQLite's UTF-8 columns, so the hash would not survive a round
// trip; PostgreSQL text cannot hold NUL at all (inside `data` both are escaped JSON and harmless).
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * A deep copy of `input` as plain JSON. The copy matters: the record is hashed later, in the next
 * batch, and a caller mutating its object meanwhile must not change what gets recorded.
 */
export function snapshotInput(input: RecordInput): RecordInput {
  if (!isRecordKind(input.kind)) throw new WardenError("INVALID_REQUEST", "unknown ledger record kind");
  const session = label(input.session, "session");
  const agent = label(input.agent, "agent");
  const callId = label(input.callId, "callId");
  const data = toJsonValue(input.data, ["data"]);
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new InvalidArgsError("record data must be a JSON object", ["data"]);
  }
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
