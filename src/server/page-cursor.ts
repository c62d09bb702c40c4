// Opaque paging cursors of the list routes: a record's position in query order, as base64url JSON.
import { z } from "zod";
import { WardenError } from "../errors.js";
import type { RecordPosition } from "../ledger/index.js";

const Position = z.strictObject({
  ts: z.iso.datetime({ offset: false, precision: 3 }),
  chain: z.string().min(1).max(128),
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});

/** The cursor that continues after `position`. */
export function encodeCursor(position: RecordPosition): string {
  const { ts, chain, seq } = position;
  return Buffer.from(JSON.stringify({ ts, chain, seq }), "utf8").toString("base64url");
}

/** The position a cursor names; INVALID_REQUEST for anything this server did not hand out. */
export function decodeCursor(cursor: string | undefined): RecordPosition | undefined {
  if (cursor === undefined || cursor === "") return undefined;
  let parsed: unknown;
  try {
    if (cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error("not base64url");
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new WardenError("INVALID_REQUEST", "cursor is not one this server handed out");
  }
  const position = Position.safeParse(parsed);
  if (!position.success) throw new WardenError("INVALID_REQUEST", "cursor is not one this server handed out");
  return position.data;
}
