// The verifier's own RFC 8785 canonical JSON, for values that came out of JSON.parse (so no undefined, no toJSON).

const MAX_DEPTH = 512;

/**
 * Canonical JSON text of a parsed JSON value, or undefined when it cannot be (nested deeper than
 * MAX_DEPTH, a non-finite number). Keys sort by UTF-16 code units (the default string sort, as RFC 8785
 * asks); strings and numbers serialize as ECMAScript's JSON.stringify does, which RFC 8785 adopts.
 */
export function canonical(value: unknown, depth = 0): string | undefined {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : undefined;
    case "boolean":
      return value ? "true" : "false";
    case "object":
      break;
    default:
      return undefined;
  }
  if (depth >= MAX_DEPTH) return undefined;
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      const item = canonical(value[i], depth + 1);
      if (item === undefined) return undefined;
      out += i === 0 ? item : `,${item}`;
    }
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = "{";
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const item = canonical(obj[k], depth + 1);
    if (item === undefined) return undefined;
    out += `${i === 0 ? "" : ","}${JSON.stringify(k)}:${item}`;
  }
  return `${out}}`;
}

/**
 * Canonical JSON of a record without its hash, given its data already as canonical text. The keys are
 * written in RFC 8785 order: agent, callId, chain, data, kind, seq, session, ts, v.
 */
export function recordBody(
  chain: string,
  seq: number,
  ts: string,
  kind: string,
  session: string | null,
  agent: string | null,
  callId: string | null,
  dataText: string,
): string {
  return `{"agent":${str(agent)},"callId":${str(callId)},"chain":${JSON.stringify(chain)},"data":${dataText},"kind":${JSON.stringify(kind)},"seq":${seq},"session":${str(session)},"ts":${JSON.stringify(ts)},"v":1}`;
}

function str(s: string | null): string {
  return s === null ? "null" : JSON.stringify(s);
}
