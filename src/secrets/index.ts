// The secrets stage's public surface: the only module other stages import.
export { type EndSessionReport, SecretBroker, type SecretBrokerOptions } from "./broker.js";
export {
  compileSecrets,
  type SecretInjection,
  type SecretProviderConfig,
  type SecretSpec,
  type SecretsDocument,
  type SecretsSettings,
  secretsSchema,
  type VaultCredsSource,
  type VaultKvSource,
} from "./config.js";
export { type CredentialFinding, redactCredentials, scanCredentials } from "./credentials.js";
export { SecretError } from "./errors.js";
export { EnvProvider, type EnvProviderOptions } from "./providers/env.js";
export { FileProvider, type FileProviderOptions } from "./providers/file.js";
export { PostgresProvider, type PostgresProviderOptions } from "./providers/postgres.js";
export { type VaultAuth, VaultProvider, type VaultProviderOptions } from "./providers/vault.js";
export type { BrokerInstance, RevokeReason } from "./records.js";
export type { RecoverOptions, RecoveryReport } from "./recover.js";
export { MIN_SECRET_LENGTH, SecretRedactor } from "./redact.js";
export { type Injections, injectionsOf, openSecrets, type SecretStage } from "./setup.js";
export type {
  Lease,
  RevokeHandle,
  RevokeOptions,
  RevokeTarget,
  SecretProvider,
  SecretSession,
} from "./types.js";
