// Tool calls as OpenTelemetry GenAI `execute_tool` spans: the caller's trace (else the session) is the trace.
import { createHash } from "node:crypto";
import { type HrTime, SpanKind, SpanStatusCode, TraceFlags } from "@opentelemetry/api";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { parseTraceparent } from "../../../trace.js";
import type { ExportEvent } from "../../types.js";

const SCOPE = { name: "agent-warden", version: "0.1.0" };

/**
 * The span of one tool call, or null for events that are not the end of a call. A call ends at its
 * outcome record, or at its intent when the call was refused (no outcome follows). Ids are derived
 * from the session and call id, so a re-sent span is the same span.
 */
export function toolCallSpan(e: ExportEvent, resource: Resource): ReadableSpan | null {
  const refused = e.type === "call.intent" && enforcedOf(e) === "deny";
  if (!(e.type === "call.outcome" || refused) || e.callId === null) return null;
  const tool = typeof e.data.tool === "string" ? e.data.tool : "unknown";
  const endMs = Date.parse(e.ts);
  const durationMs = typeof e.data.durationMs === "number" ? e.data.durationMs : 0;
  const failed = refused || e.data.status === "error";
  const errorType = refused ? "tool_denied" : failed ? errorCode(e) : null;
  const start = hrTime(endMs - durationMs);
  // A caller's W3C traceparent puts the span inside the agent's own trace, under its span.
  const parent = typeof e.data.traceparent === "string" ? parseTraceparent(e.data.traceparent) : null;
  const traceId = parent?.traceId ?? hex(e.session ?? e.callId, 16);
  const spanId = hex(e.callId, 8);
  return {
    name: `execute_tool ${tool}`,
    kind: SpanKind.INTERNAL,
    spanContext: () => ({ traceId, spanId, traceFlags: TraceFlags.SAMPLED }),
    ...(parent
      ? {
          parentSpanContext: {
            traceId,
            spanId: parent.parentSpanId,
            traceFlags: TraceFlags.SAMPLED,
            isRemote: true,
          },
        }
      : {}),
    startTime: start,
    endTime: hrTime(endMs),
    duration: hrTime(durationMs),
    status: failed
      ? { code: SpanStatusCode.ERROR, message: errorType ?? "error" }
      : { code: SpanStatusCode.OK },
    attributes: {
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": tool,
      "gen_ai.tool.call.id": e.callId,
      ...(e.agent ? { "gen_ai.agent.name": e.agent } : {}),
      ...(e.session ? { "gen_ai.conversation.id": e.session } : {}),
      ...(errorType ? { "error.type": errorType } : {}),
      "warden.event.id": e.id,
      "warden.ledger.hash": e.hash,
    },
    links: [],
    events: [],
    ended: true,
    resource,
    instrumentationScope: SCOPE,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

function enforcedOf(e: ExportEvent): unknown {
  const d = e.data.decision;
  return d !== null && typeof d === "object" && !Array.isArray(d) ? d.enforced : undefined;
}

function errorCode(e: ExportEvent): string {
  const err = e.data.error;
  return err !== null && typeof err === "object" && !Array.isArray(err) && typeof err.code === "string"
    ? err.code
    : "error";
}

/** `bytes` bytes of SHA-256(text) as hex: a valid, non-zero-in-practice trace or span id. */
function hex(text: string, bytes: number): string {
  return createHash("sha256")
    .update(text)
    .digest("hex")
    .slice(0, bytes * 2);
}

function hrTime(ms: number): HrTime {
  const s = Math.floor(ms / 1000);
  return [s, Math.round((ms - s * 1000) * 1e6)];
}
