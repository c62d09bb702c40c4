// The ledger stage's public surface: the only module other stages import.
export { createFileDurably, makeFolderDurably, publishDurably, tempPathBeside } from "./durable-file.js";
export { type ExportOptions, type ExportSummary, exportJsonl } from "./export.js";
export {
  defaultKeyPaths,
  type GeneratedKeys,
  generateKeyPair,
  type KeyPaths,
  keyIdOf,
  loadPublicKey,
  loadSigningKey,
  signingKeyFileExposed,
} from "./keys.js";
export {
  type AppendListener,
  type AppendOptions,
  JOIN_NEXT_MS,
  Ledger,
  type LedgerOptions,
  type LedgerStats,
} from "./ledger.js";
export { type PruneOptions, type PruneSummary, pruneSqlite } from "./prune.js";
export { ReadWindow } from "./read-window.js";
export type {
  AlertData,
  ApprovalDecisionData,
  ApprovalNotifyData,
  ApprovalRequestData,
  CallIntentData,
  CallOutcomeData,
  CanaryCreateData,
  KeyRotateData,
  McpToolPinData,
  PolicyLoadData,
  SandboxViolationData,
  SecretLeaseData,
  SecretRevokeData,
  SessionEndData,
  SessionStartData,
} from "./records/index.js";
export {
  checkRecordData,
  isRecordKind,
  RECORD_KINDS,
  RECORD_SCHEMAS,
  RECORD_VERSION,
  type RecordData,
  type RecordShapeProblem,
  serviceAlert,
  type TypedRecord,
} from "./records/index.js";
export {
  type AnyTypedRecord,
  type ParsedRecord,
  parseAnyRecord,
  parseRecord,
  readRecord,
} from "./records/read.js";
export {
  finishInterruptedRotation,
  ledgerSigningKey,
  type RotateOptions,
  type RotateResult,
  rotateSigningKey,
} from "./rotate.js";
export { APPROVAL_KINDS } from "./stores/common.js";
export { MemoryStore, type MemoryStoreOptions } from "./stores/memory.js";
export { openStoreAt } from "./stores/open.js";
export { PostgresStore, type PostgresStoreOptions } from "./stores/postgres.js";
export { PG_SCHEMA_VERSION } from "./stores/postgres-migrations.js";
export type { MigrateResult } from "./stores/postgres-schema.js";
export { isPostgresUrl, redactUrl } from "./stores/postgres-url.js";
export { SqliteStore, type SqliteStoreOptions } from "./stores/sqlite.js";
export {
  type BucketResult,
  type BucketTake,
  type ChainHead,
  type Checkpoint,
  GENESIS_HASH,
  type HeldArgsRow,
  type HeldArgsTable,
  type LedgerRecord,
  type LedgerStore,
  type RecordInput,
  type RecordKind,
  type RecordPosition,
  type RecordQuery,
  type Sealer,
  type SessionFeed,
  type SessionRow,
  type SharedBuckets,
  type TokenRow,
} from "./types.js";
export {
  type ChainSummary,
  type KeySource,
  publicKeyFilesBeside,
  type RangeSegment,
  type RangeVerification,
  type VerifyFailure,
  type VerifyOk,
  type VerifyOptions,
  type VerifyProblem,
  type VerifyResult,
  verifyDatabase,
  verifyJsonl,
  verifyPostgres,
  verifyRecords,
  verifyStoreRange,
} from "./verify.js";
