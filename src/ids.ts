// Random identifiers with a readable prefix: ses_…, call_…, tok_….
import { randomBytes } from "node:crypto";

export type IdPrefix = "ses" | "call" | "tok";

/** 120 random bits, base64url: unguessable, so an id alone grants nothing but is still not a secret. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBytes(15).toString("base64url")}`;
}

/** Ids supplied by callers (e.g. a model's tool-call id): short printable text only. */
export const CALLER_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
