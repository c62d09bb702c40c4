// RFC 8785 canonical JSON and SHA-256 digests over it: the one way the writer side hashes a value.
// (The ledger verifier keeps its own copy on purpose, so a writer bug cannot hide from it.)
import { createHash } from "node:crypto";
import canonicalizeModule from "canonicalize";
import { toJsonValue } from "./json.js";

// canonicalize is CommonJS with an ESM-style .d.ts: under NodeNext the default import is the function itself.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/** Canonical JSON text of a JSON value. Throws on values JSON cannot carry (NaN, Infinity, undefined at top). */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError("value has no canonical JSON form");
  return text;
}

/** Canonical JSON text of any value as Warden records it (toJsonValue); null when it is not JSON. */
export function canonicalJsonOf(value: unknown): string | null {
  try {
    return canonicalJson(toJsonValue(value));
  } catch {
    return null;
  }
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** `sha256:<hex>` of the canonical JSON of `value`. */
export function canonicalDigest(value: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(value))}`;
}

/** `sha256:<hex>` of the canonical JSON, and its size in bytes. */
export function digestJson(value: unknown): { digest: string; size: number } {
  const text = canonicalJson(value);
  return { digest: `sha256:${sha256Hex(text)}`, size: Buffer.byteLength(text, "utf8") };
}
