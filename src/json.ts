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
  // One path stack for the whole walk, copied only into an error: the happy path allocates nothing extra.
  return convert(value, [...path], new Set());
}

function fail(message: string, path: (string | number)[]): never {
  throw new InvalidArgsError(message, [...path]);
}

function convert(value: unknown, path: (string | number)[], ancestors: Set<object>): JsonValue {
  switch (typeof value) {
    case "string":
      // A lone surrogate cannot be stored as UTF-8: the ledger would not read back what it hashed.
      if (!value.isWellFormed()) fail("a string with an unpaired surrogate is not valid Unicode", path);
      return value;
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value)) fail(`${value} is not a JSON number`, path);
      return value;
    case "object":
      break;
    default:
      fail(`a ${typeof value} is not a JSON value`, path);
  }
  if (value === null) return null;
  if (path.length >= MAX_JSON_DEPTH) fail(`nested deeper than ${MAX_JSON_DEPTH}`, path);
  if (ancestors.has(value)) fail("cyclic reference", path);
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      const out: JsonValue[] = new Array(value.length);
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        out[i] = convert(value[i], path, ancestors);
        path.pop();
      }
      return out;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as object).constructor?.name ?? "object";
      fail(`a ${name} is not a plain JSON object`, path);
    }
    const out: JsonObject = {};
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined) continue;
      if (!key.isWellFormed()) fail("a key with an unpaired surrogate is not valid Unicode", path);
      path.push(key);
      const converted = convert(item, path, ancestors);
      path.pop();
      if (key === "__proto__") {
        // defineProperty, not assignment: a "__proto__" key must stay data, not become the prototype.
        Object.defineProperty(out, key, {
          value: converted,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        out[key] = converted;
      }
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
