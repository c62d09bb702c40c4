// Errors of the secrets broker. Messages name the secret and the provider, never a value or a token.
import { WardenError } from "../errors.js";

/**
 * `SECRET_UNAVAILABLE`: the secret cannot be had (a missing variable or file, a path the provider
 * refuses, a session past its deadline). `SECRET_PROVIDER_FAILED`: the provider did not answer as
 * expected (network, timeout, server error, a failed revocation).
 */
export class SecretError extends WardenError {
  declare readonly code: "SECRET_UNAVAILABLE" | "SECRET_PROVIDER_FAILED";
}

/** A short stable code for a thrown error (errno code, `timeout`, …): messages can quote URLs or values. */
export function errorCode(err: unknown): string {
  if (err instanceof SecretError) return err.code;
  if (err instanceof Error && err.name === "TimeoutError") return "timeout";
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[A-Z0-9_]{2,40}$/.test(code) ? code : "error";
}
