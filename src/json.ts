// JSON values as Warden stores and hashes them, and the boundary check that turns any JS value into one.
import { InvalidArgsError } from "./errors.js";

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export const MAX_JSON_DEPTH = 64;

/**
 * Returns `value` as plain JSON or throws InvalidArgsError naming the first bad path.
 * Object properties that are `undefined` are dropped (as JSON.stringify does); anything else that
 * JSON cannot carry faithfully (functions, symbols, bigint, NaN, Infinity, class instances such as
 * Date or Map, cycles, nesting deeper than MAX_JSON_DEPTH) is refused rather than silently altered,
 * because the ledger must record exactly what the tool received.
 */
export function toJsonValue(value: unknown, path: (string | number)[] = []): JsonValue {
  return convert(value, path, new Set());
}

function convert(value: unknown, path: (string | number)[], ancestors: Set<object>): JsonValue {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value)) throw new InvalidArgsError(`${value} is not a JSON number`, path);
      return value;
    case "object":
      break;
    default:
      throw new InvalidArgsError(`a ${typeof value} is not a JSON value`, path);
  }
  if (value === null) return null;
  if (path.length >= MAX_JSON_DEPTH) throw new InvalidArgsError(`nested deeper than ${MAX_JSON_DEPTH}`, path);
  if (ancestors.has(value)) throw new InvalidArgsError("cyclic reference", path);
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      return value.map((item, i) => convert(item, [...path, i], ancestors));
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as object).constructor?.name ?? "object";
      throw new InvalidArgsError(`a ${name} is not a plain JSON object`, path);
    }
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      // defineProperty, not assignment: a "__proto__" key must stay data, not become the prototype.
      Object.defineProperty(out, key, {
        value: convert(item, [...path, key], ancestors),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}

/** Depth of a parsed JSON value, stopping early once `limit` is passed. */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth >= limit) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}
