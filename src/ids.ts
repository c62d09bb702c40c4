// Random identifiers with a readable prefix: ses_…, call_…, tok_….
import { randomUUID } from "node:crypto";

export type IdPrefix = "ses" | "call" | "tok" | "apr";

/**
 * The time in milliseconds (12 hex digits), then 74 random bits (a v4 UUID's tail) from node's buffered CSPRNG pool.
 * Time first: ids of one moment sort together, so the ledger's call-id index grows at its end instead
 * of touching a random page per record inside every durable commit. Unguessable, yet not a secret.
 */
export function newId(prefix: IdPrefix): string {
  const time = Date.now().toString(16).padStart(12, "0");
  const random = randomUUID().replaceAll("-", "").slice(12);
  return `${prefix}_${time}${random}`;
}

/**
 * Ids supplied by callers (e.g. a model's tool-call id): short printable text only, and never `.` or `..`:
 * in `/v1/calls/{id}` those are path segments every URL parser removes, so no client could report the
 * call's outcome or ask how it stands.
 */
export const CALLER_ID_PATTERN = /^(?!\.\.?$)[A-Za-z0-9_.:-]{1,128}$/;
