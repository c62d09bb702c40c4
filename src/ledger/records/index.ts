// The ledger's record kinds as a typed contract: one zod schema per kind and record format version.
// Writers build records through these types; readers and `warden verify` parse with these schemas.
import type { z } from "zod";
import type { LedgerRecord } from "../types.js";
import { alert } from "./alert.js";
import { approvalDecision } from "./approval-decision.js";
import { approvalNotify } from "./approval-notify.js";
import { approvalRequest } from "./approval-request.js";
import { callIntent } from "./call-intent.js";
import { callOutcome } from "./call-outcome.js";
import { canaryCreate } from "./canary-create.js";
import { keyRotate } from "./key-rotate.js";
import { mcpToolPin } from "./mcp-tool-pin.js";
import { policyLoad } from "./policy-load.js";
import { sandboxViolation } from "./sandbox-violation.js";
import { secretLease } from "./secret-lease.js";
import { secretRevoke } from "./secret-revoke.js";
import { sessionEnd } from "./session-end.js";
import { sessionStart } from "./session-start.js";

export { type AlertData, serviceAlert } from "./alert.js";
export type { ApprovalDecisionData } from "./approval-decision.js";
export type { ApprovalNotifyData } from "./approval-notify.js";
export type { ApprovalRequestData } from "./approval-request.js";
export type { CallIntentData } from "./call-intent.js";
export type { CallOutcomeData } from "./call-outcome.js";
export type { CanaryCreateData } from "./canary-create.js";
export type { KeyRotateData } from "./key-rotate.js";
export type { McpToolPinData } from "./mcp-tool-pin.js";
export type { PolicyLoadData } from "./policy-load.js";
export type { SandboxViolationData } from "./sandbox-violation.js";
export type { SecretLeaseData } from "./secret-lease.js";
export type { SecretRevokeData } from "./secret-revoke.js";
export type { SessionEndData } from "./session-end.js";
export type { SessionStartData } from "./session-start.js";

/**
 * Format version 1: the data schema of every kind. A change of a kind's shape that old records do not
 * satisfy is a new format version with its own table here; version 1 stays as it is, so old ledgers
 * keep verifying (test/ledger/fixtures holds some).
 */
export const RECORD_SCHEMAS_V1 = {
  "session.start": sessionStart,
  "call.intent": callIntent,
  "approval.request": approvalRequest,
  "approval.decision": approvalDecision,
  "approval.notify": approvalNotify,
  "call.outcome": callOutcome,
  "secret.lease": secretLease,
  "secret.revoke": secretRevoke,
  "sandbox.violation": sandboxViolation,
  alert,
  "session.end": sessionEnd,
  "policy.load": policyLoad,
  "mcp.tool.pin": mcpToolPin,
  "canary.create": canaryCreate,
  "key.rotate": keyRotate,
} as const;

/** The record format versions this code reads, each with its schemas. */
export const RECORD_SCHEMAS = { 1: RECORD_SCHEMAS_V1 } as const;

/** The current record format version: what the writer stamps as `v`. */
export const RECORD_VERSION = 1;

export type RecordKind = keyof typeof RECORD_SCHEMAS_V1;

/** The data of a record of `kind`, as this version writes and reads it. */
export type RecordData<K extends RecordKind> = z.infer<(typeof RECORD_SCHEMAS_V1)[K]>;

/** Every kind, in the order the table above lists them. */
export const RECORD_KINDS = Object.keys(RECORD_SCHEMAS_V1) as RecordKind[];

/** Whether `kind` names a record kind this ledger writes (for filters taken from users). */
export function isRecordKind(kind: string): kind is RecordKind {
  return Object.hasOwn(RECORD_SCHEMAS_V1, kind);
}

/** Why a record's data does not match its kind's schema: the first issue, with its path in `data`. */
export interface RecordShapeProblem {
  path: string;
  message: string;
}

/**
 * Checks `data` against the schema of `kind` at format version `v`. Returns the parsed data or the
 * first problem; an unknown kind or version is a problem too.
 */
export function checkRecordData(
  v: number,
  kind: string,
  data: unknown,
): { ok: true; data: unknown } | { ok: false; problem: RecordShapeProblem } {
  const table: Record<string, z.ZodType> | undefined = (
    RECORD_SCHEMAS as Record<number, Record<string, z.ZodType>>
  )[v];
  if (table === undefined)
    return { ok: false, problem: { path: "", message: `no record format version ${v}` } };
  if (!Object.hasOwn(table, kind))
    return { ok: false, problem: { path: "", message: `unknown record kind ${JSON.stringify(kind)}` } };
  const parsed = table[kind]!.safeParse(data);
  if (parsed.success) return { ok: true, data: parsed.data };
  const issue = parsed.error.issues[0];
  return {
    ok: false,
    problem: { path: (issue?.path ?? []).map(String).join("."), message: issue?.message ?? "invalid" },
  };
}

/** A stored record whose data was checked against its kind's schema. */
export type TypedRecord<K extends RecordKind> = Omit<LedgerRecord, "kind" | "data"> & {
  kind: K;
  data: RecordData<K>;
};
