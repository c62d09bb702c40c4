// Times as users type them: ISO timestamps or ages such as 30s, 15m, 24h, 7d.
import { WardenError } from "./errors.js";

const UNIT_MS = { ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 } as const;
const MAX_DATE_MS = 8.64e15;

/** Accepts an ISO time or a relative age (30s, 15m, 24h, 7d) and returns the ISO time it names. */
export function sinceToIso(value: string, now = Date.now()): string {
  const age = /^(\d+)(s|m|h|d)$/.exec(value);
  const t = age ? now - Number(age[1]) * UNIT_MS[age[2] as keyof typeof UNIT_MS] : Date.parse(value);
  if (Number.isNaN(t))
    throw new WardenError("INVALID_REQUEST", `expected an ISO time or an age like 7d, not "${value}"`);
  // A Date holds ±100,000,000 days around 1970; an age reaching further back names no time at all.
  if (!(Math.abs(t) <= MAX_DATE_MS))
    throw new WardenError("INVALID_REQUEST", `"${value}" reaches beyond the earliest time a date can hold`);
  return new Date(t).toISOString();
}
