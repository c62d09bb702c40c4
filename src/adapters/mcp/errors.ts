// Errors of the MCP gateway, each with a stable code (tool results carry it in `_meta["warden/code"]`).

export type McpGatewayCode =
  | "MCP_CONFIG_INVALID"
  | "MCP_UPSTREAM_UNAVAILABLE"
  | "MCP_TOOL_UNKNOWN"
  | "MCP_TOOL_BLOCKED"
  | "MCP_TOOL_POISONED"
  | "MCP_NOTHING_TO_APPROVE"
  | "MCP_APPROVAL_REFUSED"
  | "MCP_RESOURCE_AMBIGUOUS";

/** A gateway failure with a stable code; tests and callers branch on `code`. */
export class McpGatewayError extends Error {
  readonly code: McpGatewayCode;

  constructor(code: McpGatewayCode, message: string) {
    super(message);
    this.name = "McpGatewayError";
    this.code = code;
  }
}

/** JSON-RPC error codes the gateway answers with (the spec's, plus the SDK's connection codes). */
export const RPC = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  connectionClosed: -32000,
  requestTimeout: -32001,
  notInitialized: -32002,
} as const;

/**
 * The answer to a request holding an integer beyond ±(2^53−1): parsed, it would be rounded, and the
 * tool would run with another number than the client sent (an account id, an amount).
 */
export const INEXACT_INTEGER_MESSAGE =
  "invalid params: an integer beyond ±(2^53−1) cannot be passed on exactly; send it as a string";

/** The answer to something that is not a JSON-RPC 2.0 message (stdio and HTTP alike). */
export const NOT_A_MESSAGE = "invalid request: not a JSON-RPC 2.0 message";

/** The id of something sent as a JSON-RPC message, when it has one an answer can carry, else null. */
export function idOf(value: unknown): string | number | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const id = (value as { id?: unknown }).id;
  return typeof id === "string" || (typeof id === "number" && Number.isFinite(id)) ? id : null;
}
