// The HTTP fronts' limits: the `server:` section (and `mcp.listen:`, the same keys), their defaults, what they compile to.
import * as z from "zod";
import { duration, formatDuration } from "../config/index.js";

/** What one client can hold of a listener before it has sent a whole request. */
export interface ConnectionLimits {
  /**
   * Open connections at most. Past it, a new connection takes the place of the one that has waited
   * longest without a request in progress (idle keep-alive, or headers still coming); when every one
   * is busy, the new one is closed. Below the process's file limit, so the ledger and the MCP upstreams
   * always get theirs.
   */
  maxConnections: number;
  /** Time a client has to send a request's headers (a slowloris sending them a byte at a time is cut). */
  headersTimeoutMs: number;
  /**
   * Time a client has to send a whole request, body included. Only the request: a long poll or a stream
   * it is answered with is not cut.
   */
  requestTimeoutMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: 4_096,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
};

export interface TokenLimitOptions {
  /** Requests a token may make per second on average, and at once. */
  requestsPerSecond: number;
  requestBurst: number;
  /** Body bytes a token may send per second on average, and at once (parsing costs CPU per byte). */
  bytesPerSecond: number;
  byteBurst: number;
  /**
   * Requests a token may have in progress at once (a long poll, an event stream, a body still coming):
   * each holds a connection and memory until it ends, which the request budget alone does not bound.
   */
  maxInFlight: number;
}

/**
 * Bytes bound the CPU a token can take: parsing, hashing and recording cost about 0.65–1 µs per body
 * byte (a 1 MB body of 60,000 keys took 0.65 s), so 512 KiB/s keeps one token below about half of the
 * service, while some 4,000 small decisions a second (and bursts of 2 MiB) still fit. The request
 * budget is above what one instance serves, a backstop for empty requests.
 */
export const DEFAULT_TOKEN_LIMITS: TokenLimitOptions = {
  requestsPerSecond: 10_000,
  requestBurst: 20_000,
  bytesPerSecond: 512 * 1024,
  byteBurst: 2 * 1024 * 1024,
  maxInFlight: 256,
};

/** The largest request body the decision service reads. */
export const MAX_BODY_BYTES = 1024 * 1024;

const count = (min: number, max: number) => {
  const error = `a whole number from ${min} to ${max}`;
  return z.int({ error }).min(min, error).max(max, error);
};
const between = (minMs: number, maxMs: number) =>
  duration.refine((ms) => ms >= minMs && ms <= maxMs, {
    error: `must be between ${formatDuration(minMs)} and ${formatDuration(maxMs)}`,
  });
const GiB = 1024 * 1024 * 1024;

/**
 * The keys of `server:` and of `mcp.listen:`: connections (read when the listener starts) and the
 * budgets of each token (read per request, so a reload changes them).
 */
export const httpLimitsSchema = z
  .strictObject({
    maxConnections: count(1, 1_000_000).optional(),
    headersTimeout: between(1_000, 10 * 60_000).optional(),
    requestTimeout: between(1_000, 3_600_000).optional(),
    perToken: z
      .strictObject({
        requestsPerSecond: count(1, 1_000_000).optional(),
        requestBurst: count(1, 1_000_000).optional(),
        bytesPerSecond: count(1024, GiB).optional(),
        byteBurst: count(1024, GiB).optional(),
        maxInFlight: count(1, 100_000).optional(),
      })
      .optional(),
  })
  .superRefine((s, ctx) => {
    // node refuses a request timeout shorter than the headers', which it is part of.
    const headers = s.headersTimeout ?? DEFAULT_CONNECTION_LIMITS.headersTimeoutMs;
    const request = s.requestTimeout ?? DEFAULT_CONNECTION_LIMITS.requestTimeoutMs;
    if (request < headers)
      ctx.addIssue({
        code: "custom",
        path: [s.requestTimeout === undefined ? "headersTimeout" : "requestTimeout"],
        message: `requestTimeout (${formatDuration(request)}) must be at least headersTimeout (${formatDuration(headers)}): the headers are part of the request`,
      });
  });

/** The decision service's `server:` section. */
export const serverSchema = httpLimitsSchema.superRefine((s, ctx) => {
  const burst = s.perToken?.byteBurst;
  if (burst !== undefined && burst < MAX_BODY_BYTES)
    ctx.addIssue({
      code: "custom",
      path: ["perToken", "byteBurst"],
      message: `must be at least ${MAX_BODY_BYTES} (the largest body the service reads): a larger body could never pass`,
    });
});

export type HttpLimitsDocument = z.output<typeof httpLimitsSchema>;

/** What the policy sets of a listener's limits; a key it leaves out takes the default. */
export interface HttpLimits {
  /** Read when the listener starts: a reload that changes them takes effect at the next start. */
  connections: Partial<ConnectionLimits>;
  /** Read per request: a reload changes them. */
  tokenLimits: Partial<TokenLimitOptions>;
}

export function compileHttpLimits(doc: HttpLimitsDocument | undefined): HttpLimits {
  const connections: Partial<ConnectionLimits> = {};
  if (doc?.maxConnections !== undefined) connections.maxConnections = doc.maxConnections;
  if (doc?.headersTimeout !== undefined) connections.headersTimeoutMs = doc.headersTimeout;
  if (doc?.requestTimeout !== undefined) connections.requestTimeoutMs = doc.requestTimeout;
  const tokenLimits: Partial<TokenLimitOptions> = {};
  for (const [key, value] of Object.entries(doc?.perToken ?? {}))
    if (value !== undefined) tokenLimits[key as keyof TokenLimitOptions] = value;
  return { connections, tokenLimits };
}
