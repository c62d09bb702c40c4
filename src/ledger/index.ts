// The ledger stage's public surface: the only module other stages import.
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
export { type AppendListener, Ledger, type LedgerOptions, type LedgerStats } from "./ledger.js";
export { MemoryStore, type MemoryStoreOptions } from "./stores/memory.js";
export { SqliteStore, type SqliteStoreOptions } from "./stores/sqlite.js";
export {
  type ChainHead,
  type Checkpoint,
  GENESIS_HASH,
  type LedgerRecord,
  type LedgerStore,
  type RecordInput,
  type RecordKind,
  type RecordQuery,
  type Sealer,
  type SessionRow,
  type TokenRow,
} from "./types.js";
export {
  type ChainSummary,
  type KeySource,
  type VerifyFailure,
  type VerifyOk,
  type VerifyOptions,
  type VerifyProblem,
  type VerifyResult,
  verifyDatabase,
  verifyJsonl,
  verifyRecords,
} from "./verify.js";
