// Random identifiers with a readable prefix: ses_…, call_…, tok_….
import { randomUUID } from "node:crypto";

export type IdPrefix = "ses" | "call" | "tok";

/** 122 random bits (a v4 UUID, drawn from node's buffered CSPRNG pool): unguessable, yet not a secret. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomUUID().replaceAll("-", "")}`;
}

/** Ids supplied by callers (e.g. a model's tool-call id): short printable text only. */
export const CALLER_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
