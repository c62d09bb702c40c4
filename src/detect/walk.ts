// Visits the strings of a JSON value with their JSON paths, bounded so a huge argument cannot stall the gate.
import { keyPath } from "../config/index.js";
import type { JsonValue } from "../json.js";
import { SECRETS } from "./patterns.js";

/** Strings visited per value at most; past this, detectors see a prefix of the value (and say so). */
export const MAX_STRINGS = 2_000;
const MAX_DEPTH = 32;

/**
 * Calls `visit(text, path)` for every string (object keys included as their own path) in document order.
 * With `numberDigits`, integers of that many digits or more are visited too, as their digits: a card
 * number (13) or a numeric honeytoken (12) sent as a JSON number is still one. Returns false when the
 * walk stopped at a bound.
 */
export function walkStrings(
  value: JsonValue,
  visit: (text: string, path: string) => void,
  options: { numberDigits?: number } = {},
): boolean {
  let seen = 0;
  // The smallest integer with `numberDigits` digits; none is visited without the option.
  const smallest =
    options.numberDigits === undefined ? Number.POSITIVE_INFINITY : 10 ** (options.numberDigits - 1);
  const go = (v: JsonValue, path: string, depth: number): boolean => {
    if (typeof v === "string") {
      if (seen++ >= MAX_STRINGS) return false;
      visit(v, path);
      return true;
    }
    if (typeof v === "number" && Number.isSafeInteger(v)) {
      if (Math.abs(v) < smallest) return true;
      if (seen++ >= MAX_STRINGS) return false;
      visit(String(Math.abs(v)), path);
      return true;
    }
    if (v === null || typeof v !== "object") return true;
    if (depth >= MAX_DEPTH) return false;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) if (!go(v[i] as JsonValue, `${path}[${i}]`, depth + 1)) return false;
      return true;
    }
    for (const key in v) {
      // The `redact:` path dialect, so a path found here can be handed to applyRedactions; but what
      // lies under a key that is a credential is reported by a path that does not spell it.
      const child = isSecretKey(key) ? `${path}[#key]` : keyPath(path, key);
      // A key is reported as "a key of this object", never by a path that spells it: the key may be
      // the very credential found, and paths go into alerts and the intent's `redacted`.
      if (key.length >= 6 && !go(key, `${path}#key`, depth + 1)) return false;
      if (!go(v[key] as JsonValue, child, depth + 1)) return false;
    }
    return true;
  };
  return go(value, "$", 0);
}

/** The shortest credential the patterns find (an AWS access key id) has 20 characters. */
const SHORTEST_SECRET = 20;
const SECRET_IN = new RegExp(SECRETS.source);

/** Whether an object key holds a credential: such a key must never appear in a reported path. */
function isSecretKey(key: string): boolean {
  return key.length >= SHORTEST_SECRET && SECRET_IN.test(key);
}
