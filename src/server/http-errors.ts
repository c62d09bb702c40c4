// Every error leaves the API as JSON {error: {code, message, issues?}} with a status that fits the code.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type ErrorCode, PolicyInvalidError, WardenError } from "../errors.js";

const STATUS: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  INVALID_REQUEST: 400,
  INVALID_ARGS: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  SESSION_NOT_FOUND: 404,
  CALL_NOT_FOUND: 404,
  SESSION_ENDED: 409,
  CALL_ID_CONFLICT: 409,
  AGENT_UNKNOWN: 422,
  POLICY_INVALID: 422,
  RATE_LIMITED: 429,
  APPROVALS_PENDING_LIMIT: 429,
  LEDGER_UNAVAILABLE: 503,
  APPROVAL_NOT_FOUND: 404,
  APPROVAL_CLOSED: 409,
  APPROVAL_EXPIRED: 409,
  APPROVAL_MISMATCH: 409,
  APPROVAL_DENIED: 403,
  WEBHOOK_INVALID: 401,
  WEBHOOK_REPLAYED: 409,
  LINK_INVALID: 400,
  LINK_EXPIRED: 410,
  LINK_USED: 410,
  CSRF_FAILED: 403,
  TOKEN_INVALID: 401,
  PROVIDER_UNAVAILABLE: 503,
  SSO_FAILED: 400,
  IDENTITY_UNVERIFIED: 403,
  SECRET_UNAVAILABLE: 503,
  SECRET_PROVIDER_FAILED: 503,
  SANDBOX_VIOLATION: 403,
  EGRESS_DENIED: 403,
  SANDBOX_INVALID: 400,
  SANDBOX_UNAVAILABLE: 503,
};

/** What a client may learn of an error: a Warden error's code and message, nothing of any other. */
export interface PublicError {
  status: ContentfulStatusCode;
  code: string;
  message: string;
  issues?: unknown;
}

export function publicError(err: unknown): PublicError {
  if (err instanceof WardenError) {
    const issues = err instanceof PolicyInvalidError ? err.issues : err.details?.issues;
    const status = STATUS[err.code] ?? 400;
    return issues === undefined
      ? { status, code: err.code, message: err.message }
      : { status, code: err.code, message: err.message, issues };
  }
  // Unexpected failures say nothing of their cause to the client: it may hold arguments or secrets.
  return { status: 500, code: "INTERNAL", message: "internal error" };
}

export function errorBody(code: string, message: string, issues?: unknown) {
  return { error: issues === undefined ? { code, message } : { code, message, issues } };
}

/** The service's rendering of an error: `{error: {code, message, issues?}}`. */
export function sendError(c: Context, err: unknown): Response {
  const e = publicError(err);
  return c.json(errorBody(e.code, e.message, e.issues), e.status);
}
