// Request bodies: JSON only, bounded in size and nesting, validated by a zod schema.
import type { IncomingMessage } from "node:http";
import type { Context } from "hono";
import { z } from "zod";
import { InvalidArgsError, WardenError } from "../errors.js";
import { hasDuplicateKey, inexactInteger, jsonDepthExceeds, MAX_JSON_DEPTH } from "../json.js";
import { isPrintable } from "../safe-text.js";
import { MAX_BODY_BYTES } from "./config.js";
import { chargeBody } from "./token-limits.js";

export const MAX_BODY_DEPTH = 64;

function tooLarge(max: number): WardenError {
  return new WardenError("PAYLOAD_TOO_LARGE", `body larger than ${max} bytes`);
}

// Fatal: a byte sequence that is not UTF-8 is refused, never turned into U+FFFD and hashed into the
// ledger as if the caller had sent that character. ignoreBOM keeps a BOM, which JSON.parse refuses.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new WardenError("INVALID_REQUEST", "body is not valid UTF-8");
  }
}

/**
 * The body as text, never buffering more than `max` bytes (PAYLOAD_TOO_LARGE past it). Under the node
 * server the request stream is read directly: building a web Request (streams, abort signal) for every
 * decision costs more than the decision itself.
 */
export async function readText(c: Context, max = MAX_BODY_BYTES): Promise<string> {
  // The bytes are read as they come: a compressed body would be decided on as text it is not.
  const encoding = c.req.header("content-encoding")?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== "" && encoding !== "identity") {
    throw new WardenError("INVALID_REQUEST", "content-encoding is not accepted: send the body uncompressed");
  }
  const declared = Number(c.req.header("content-length") ?? Number.NaN);
  if (declared > max) throw tooLarge(max);
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming) {
    const buffer = Buffer.from(await c.req.arrayBuffer());
    chargeBody(c, buffer.length);
    if (buffer.length > max) throw tooLarge(max);
    return decodeUtf8(buffer);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      chargeBody(c, size);
      throw tooLarge(max);
    }
    chunks.push(chunk);
  }
  chargeBody(c, size);
  return decodeUtf8(Buffer.concat(chunks, size));
}

export interface ParseOptions {
  /**
   * The field that carries tool arguments: nesting too deep there is INVALID_ARGS, the code the library
   * gives the same arguments (and the HTTP service a body one level shallower), not INVALID_REQUEST.
   */
  argsField?: string;
}

export async function readJson<S extends z.ZodType>(
  c: Context,
  schema: S,
  options: ParseOptions = {},
): Promise<z.output<S>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw new WardenError("INVALID_REQUEST", "content-type must be application/json");
  }
  // JSON is UTF-8 (RFC 8259): a body labelled otherwise would be decided on as other text than its sender wrote.
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(type)?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
    throw new WardenError(
      "INVALID_REQUEST",
      "a JSON body is read as UTF-8: send it so, with charset=utf-8 or none",
    );
  }
  return parseJson(await readText(c), schema, options);
}

/** JSON text checked for depth and shape, e.g. a body whose signature was verified over its raw text. */
export function parseJson<S extends z.ZodType>(
  text: string,
  schema: S,
  options: ParseOptions = {},
): z.output<S> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new WardenError("INVALID_REQUEST", "body is not valid JSON");
  }
  // The caller's own code may read the text with a parser that keeps the first of two keys: what is
  // decided, approved and recorded must be the one reading of it there is.
  if (hasDuplicateKey(text)) {
    throw new WardenError("INVALID_REQUEST", "body names a key twice in one object");
  }
  // Not quoted back: the number may be an account or card number.
  if (inexactInteger(text) !== null) {
    throw new WardenError(
      "INVALID_REQUEST",
      "body holds an integer beyond ±(2^53−1), which cannot be decided and recorded exactly: send it as a string",
    );
  }
  if (jsonDepthExceeds(parsed, MAX_BODY_DEPTH)) {
    const field = options.argsField;
    const args = field !== undefined && isObject(parsed) ? parsed[field] : undefined;
    if (field !== undefined && jsonDepthExceeds(args, MAX_BODY_DEPTH - 1)) {
      throw new InvalidArgsError(`nested deeper than ${MAX_JSON_DEPTH}`, []);
    }
    throw new WardenError("INVALID_REQUEST", `body nested deeper than ${MAX_BODY_DEPTH} levels`);
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ path: i.path.map(String), message: i.message }));
    throw new WardenError("INVALID_REQUEST", "body does not match the expected shape", { issues });
  }
  return result.data;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * A string field of `min`–`max` characters that is well-formed Unicode: a lone surrogate is the same
 * mistake in every field, so it gets the same code everywhere.
 */
export function wellFormedText(max: number, min = 1) {
  return z
    .string()
    .min(min)
    .max(max)
    .refine((v) => v.isWellFormed(), "not valid Unicode (a lone surrogate)");
}

/** wellFormedText that is also printable (safe-text.ts): a name shown wherever the ledger is read. */
export function printableText(max: number) {
  return wellFormedText(max).refine(isPrintable, "holds control characters or bidirectional overrides");
}
