// Query-string values shared by the list routes.
import { WardenError } from "../errors.js";

/** `?limit=`: 100 when absent, else an integer 1–10000. */
export function boundedLimit(value: string | undefined): number {
  const n = value === undefined ? 100 : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new WardenError("INVALID_REQUEST", "limit must be 1–10000");
  return n;
}
