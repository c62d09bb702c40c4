// The query string of the dashboard's list routes (/v1/records, /v1/alerts), checked with zod at the boundary.
import { z } from "zod";
import { WardenError } from "../errors.js";
import { isRecordKind, type RecordKind, type RecordPosition } from "../ledger/index.js";
import { sinceToIso } from "../time.js";
import { decodeCursor } from "./page-cursor.js";

/** A list page holds at most this many entries: each page's range is verified, so pages stay small. */
export const MAX_PAGE = 200;
const DEFAULT_PAGE = 50;

const name = z.string().min(1).max(1024).optional();
const time = z
  .string()
  .max(64)
  .optional()
  .transform((v) => (v === undefined || v === "" ? undefined : sinceToIso(v)));

export const ListQuery = z.strictObject({
  agent: name,
  user: name,
  tool: name,
  session: name,
  call: name,
  kind: z.string().max(1024).optional(),
  severity: z.string().max(256).optional(),
  detector: name,
  /** ISO time or an age (7d): records at or after it. */
  since: time,
  /** ISO time or an age: records before it. */
  until: time,
  cursor: z.string().max(1024).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(DEFAULT_PAGE),
  /** "0" skips the range verification (the records route verifies by default). */
  verify: z.enum(["0", "1"]).default("1"),
});

export type ListQuery = z.output<typeof ListQuery>;

/** Reads and checks the query string; unknown parameters are refused so a typo does not silently widen a filter. */
export function readListQuery(query: Record<string, string>): ListQuery & { after?: RecordPosition } {
  const parsed = ListQuery.safeParse(query);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    throw new WardenError("INVALID_REQUEST", "the query string is not valid", { issues });
  }
  return { ...parsed.data, after: decodeCursor(parsed.data.cursor) };
}

/** `kind=a,b` as record kinds; INVALID_REQUEST for a kind the ledger does not know. */
export function kindsOf(value: string | undefined): RecordKind[] | undefined {
  if (value === undefined || value === "") return undefined;
  const kinds = value.split(",").filter(Boolean);
  if (kinds.some((k) => !isRecordKind(k))) throw new WardenError("INVALID_REQUEST", "unknown record kind");
  return kinds as RecordKind[];
}

/** A comma list as a set (null: no filter). */
export function listOf(value: string | undefined): Set<string> | null {
  const items = (value ?? "").split(",").filter(Boolean);
  return items.length === 0 ? null : new Set(items);
}
