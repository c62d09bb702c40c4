// W3C Trace Context: the `traceparent` a caller sends, so agent, Warden and tool spans join one trace.
import { WardenError } from "./errors.js";

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

export interface TraceParent {
  traceId: string;
  parentSpanId: string;
  flags: string;
}

/**
 * Parses a `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header): version 00 exactly,
 * later versions by their first four fields; all-zero ids and version ff are invalid.
 */
export function parseTraceparent(value: string): TraceParent | null {
  const m = TRACEPARENT.exec(value.trim());
  if (!m) return null;
  const [, version, traceId, parentSpanId, flags, rest] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  if (version === "ff" || (version === "00" && rest !== undefined)) return null;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentSpanId)) return null;
  return { traceId, parentSpanId, flags };
}

/** The normalised header to record, or INVALID_REQUEST; absent stays null. */
export function traceparentOf(value: unknown): string | null {
  if (value === undefined || value === null || value === "") return null;
  const parsed = typeof value === "string" ? parseTraceparent(value) : null;
  if (!parsed) throw new WardenError("INVALID_REQUEST", "traceparent must be a W3C trace context header");
  return `00-${parsed.traceId}-${parsed.parentSpanId}-${parsed.flags}`;
}
