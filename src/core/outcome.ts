// What a call.outcome record holds: status, duration, the result's digest and size (never the result),
// an error's stable code (never its message, which can carry secrets or personal data).
import { digestJson } from "../digest.js";
import { WardenError } from "../errors.js";
import { type JsonObject, toJsonValue } from "../json.js";
import type { OpenCall } from "./open-calls.js";
import type { Outcome } from "./request.js";

export function outcomeData(call: OpenCall, outcome: Outcome) {
  const { tool } = call;
  const durationMs = Math.round((outcome.durationMs ?? Date.now() - call.startedAt) * 1000) / 1000;
  // The outcome carries the trace too: an exported span is built from the record that ends the call.
  const trace: JsonObject = call.traceparent ? { traceparent: call.traceparent } : {};
  if (outcome.status === "ok") {
    return {
      tool,
      status: "ok" as const,
      durationMs,
      result: resultDigest(outcome.result),
      error: null,
      ...trace,
    };
  }
  return {
    tool,
    status: "error" as const,
    durationMs,
    result: null,
    error: { code: errorCode(outcome.error) },
    ...trace,
  };
}

/** Digest and size of a result, never the result itself: the ledger proves what came back without keeping it. */
function resultDigest(result: unknown) {
  if (result === undefined) return null;
  try {
    return digestJson(toJsonValue(result));
  } catch {
    return { digest: null, size: null, type: typeof result };
  }
}

/** A stable code, never the message: error text can carry secrets or personal data. */
function errorCode(err: unknown): string {
  if (err instanceof WardenError) return err.code;
  if (typeof err === "string") return "string";
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "string" && /^[\w.-]{1,64}$/.test(code) ? code : err.name;
  }
  if (err && typeof err === "object" && typeof (err as { code?: unknown }).code === "string") {
    return String((err as { code: string }).code).slice(0, 64);
  }
  return "error";
}
