// SHA-256 digests of JSON values over their RFC 8785 canonical form, as the ledger writes them.
import { createHash } from "node:crypto";
import canonicalizeModule from "canonicalize";

// canonicalize is CommonJS with an ESM-style .d.ts: under NodeNext the default import is the function itself.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Canonical JSON text of a JSON-compatible value. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError("value has no JSON form");
  return text;
}

/** `sha256:<hex>` of the canonical JSON, and its size in bytes. */
export function digestJson(value: unknown): { digest: string; size: number } {
  const text = canonicalJson(value);
  return { digest: `sha256:${sha256Hex(text)}`, size: Buffer.byteLength(text, "utf8") };
}
