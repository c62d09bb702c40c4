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

// A key repeated within one JSON object: JSON.parse keeps the last, so what is hashed or decided and what
// another reader of the same text sees could differ.

/**
 * True when some object in `text` (valid JSON, already parsed once) names a key twice, at any depth.
 * Keys are compared as decoded strings, so `"a"` and `"\u0061"` are the same key.
 */
export function hasDuplicateKey(text: string): boolean {
  // One set per open object, null for an open array; `expectKey`: the next string is a key.
  const open: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = stringEnd(text, i);
      if (expectKey) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes("\\") ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        const keys = open.at(-1)!;
        if (keys.has(key)) return true;
        keys.add(key);
        expectKey = false;
      }
      i = end;
    } else if (c === 0x7b /* { */) {
      open.push(new Set());
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      open.push(null);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      open.pop();
    } else if (c === 0x2c /* , */) {
      expectKey = open.at(-1) instanceof Set;
    }
  }
  return false;
}

/**
 * Whether `text` (JSON) nests objects and arrays deeper than `limit`, read without parsing it: a line
 * nested a million levels deep overflows JSON.parse's or JSON.stringify's stack.
 */
export function textDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) i = stringEnd(text, i);
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > limit) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return false;
}

/**
 * The first integer token in `text` (valid JSON) beyond ±(2^53−1), or null. JSON.parse rounds such a
 * number to the nearest double while a reader with exact integers (Python's json, Go's json.Number,
 * Java's BigInteger) keeps every digit: what is decided and recorded would not be what runs.
 */
export function inexactInteger(text: string): string | null {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i = stringEnd(text, i);
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      while (end < text.length && NUMBER_CHAR.test(text[end]!)) end++;
      const token = text.slice(i, end);
      // 16 digits or more may pass 2^53; a fraction or exponent is a decimal every reader rounds alike.
      if (token.length >= 16 && !/[.eE]/.test(token) && !Number.isSafeInteger(Number(token))) return token;
      i = end - 1;
    }
  }
  return null;
}

const NUMBER_CHAR = /[0-9.eE+-]/;

/** Index of the quote closing the string that opens at `start`: the next quote not escaped by an odd run of backslashes. */
function stringEnd(text: string, start: number): number {
  for (let i = text.indexOf('"', start + 1); i !== -1; i = text.indexOf('"', i + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(i - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return i;
  }
  return text.length;
}
