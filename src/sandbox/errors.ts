// The sandbox's typed errors: a refused connection and a sandbox that could not be set up or run.
import { WardenError } from "../errors.js";

/** Why an egress target was refused; stable strings, safe to record and show. */
export type EgressRefusal =
  /** Not a syntactically valid host name or address. */
  | "invalid_host"
  /** The port is outside 1–65535 or not in the proxy's `ports`. */
  | "port_not_allowed"
  /** The host matched a `deny` entry. */
  | "denied_host"
  /** The host matched no `allow` entry. */
  | "not_allowed"
  /** An IP address was given instead of a name, and it is not listed exactly in `allow`. */
  | "ip_literal"
  /** The name did not resolve (or resolving took too long). */
  | "dns_failed"
  /** The name resolved to a private, loopback, link-local, CGNAT, multicast, reserved or unspecified address. */
  | "blocked_address"
  /** The name resolved to a cloud metadata address; refused even when the host is allowed by name. */
  | "metadata_address"
  /** A request the proxy does not forward (origin-form, https:// in the absolute form, a bad CONNECT line). */
  | "bad_request";

/** One refused connection, as the proxy, guardedFetch and the kill switch report it. */
export interface EgressViolation {
  host: string;
  port: number;
  reason: EgressRefusal;
  /** The resolved address that was refused (blocked_address, metadata_address), when there is one. */
  address?: string;
}

export type SandboxErrorCode =
  /** A connection was refused by the egress rules. */
  | "EGRESS_DENIED"
  /** A sandbox option or run spec is invalid (nothing ran). */
  | "SANDBOX_INVALID"
  /** The sandbox could not be started (bwrap missing, temp folder failure, …); fail closed: nothing ran. */
  | "SANDBOX_UNAVAILABLE";

/** Base of the sandbox's errors, with the stable codes above. */
export class SandboxError extends WardenError {
  declare readonly code: SandboxErrorCode;
  constructor(code: SandboxErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}

/** guardedFetch refused the target (or a redirect's target); nothing was sent to it. */
export class EgressDeniedError extends SandboxError {
  readonly violation: EgressViolation;
  constructor(violation: EgressViolation) {
    super("EGRESS_DENIED", `connection to ${violation.host}:${violation.port} refused: ${violation.reason}`, {
      ...violation,
    });
    this.violation = violation;
  }
}
