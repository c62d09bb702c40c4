// Names the downstream client sees: `server__tool` when several upstreams share one gateway; and cursors over them.
import type { Result } from "@modelcontextprotocol/sdk/types.js";

export const SEPARATOR = "__";

/** The name a tool (or prompt) of `server` is exposed under. */
export function exposedName(server: string, name: string, prefixed: boolean): string {
  return prefixed ? `${server}${SEPARATOR}${name}` : name;
}

/** Splits an exposed name; server names never contain `__` or end in `_`, so the first `__` is the split. */
export function splitName(
  exposed: string,
  servers: readonly string[],
): { server: string; name: string } | null {
  if (servers.length === 1) {
    const only = servers[0];
    return only === undefined ? null : { server: only, name: exposed };
  }
  const at = exposed.indexOf(SEPARATOR);
  if (at <= 0) return null;
  const server = exposed.slice(0, at);
  return servers.includes(server) ? { server, name: exposed.slice(at + SEPARATOR.length) } : null;
}

/** A page position across upstreams: which upstream, and that upstream's own cursor (kept verbatim). */
export interface PagePosition {
  index: number;
  cursor: string | undefined;
}

const CURSOR_PREFIX = "wdn1.";

/** With one upstream the cursor passes through untouched; with several it wraps the upstream's cursor. */
export function encodeCursor(position: PagePosition, upstreams: number): string | undefined {
  if (upstreams === 1) return position.cursor;
  const body = JSON.stringify([position.index, position.cursor ?? null]);
  return CURSOR_PREFIX + Buffer.from(body, "utf8").toString("base64url");
}

/** null for a cursor the gateway did not issue. */
export function decodeCursor(cursor: string | undefined, upstreams: number): PagePosition | null {
  if (upstreams === 1) return { index: 0, cursor };
  if (cursor === undefined) return { index: 0, cursor: undefined };
  if (!cursor.startsWith(CURSOR_PREFIX)) return null;
  try {
    const parsed: unknown = JSON.parse(
      Buffer.from(cursor.slice(CURSOR_PREFIX.length), "base64url").toString("utf8"),
    );
    if (!Array.isArray(parsed) || parsed.length !== 2) return null;
    const [index, inner] = parsed as unknown[];
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= upstreams) return null;
    if (inner !== null && typeof inner !== "string") return null;
    return { index, cursor: inner ?? undefined };
  } catch {
    return null;
  }
}

/**
 * One page of a listing across upstreams, from `position`: each upstream's page in order, up to the first
 * that has a next page of its own (whose cursor is wrapped), so a client that reads only the first page
 * (many do) sees every upstream's items unless an upstream itself pages. `listOne` lists one upstream
 * from its own cursor, or returns null for one with nothing to list (gone, or without the capability).
 */
export async function gatheredPage(
  position: PagePosition,
  upstreams: number,
  key: string,
  listOne: (
    index: number,
    cursor: string | undefined,
  ) => Promise<{ result: Result; items: unknown[] } | null>,
): Promise<Result> {
  const items: unknown[] = [];
  let body: Result | null = null;
  for (let index = position.index; index < upstreams; index++) {
    const listed = await listOne(index, index === position.index ? position.cursor : undefined);
    if (listed === null) continue;
    items.push(...listed.items);
    const { nextCursor, [key]: _, ...others } = listed.result;
    body ??= others;
    if (typeof nextCursor === "string")
      return { ...body, [key]: items, nextCursor: encodeCursor({ index, cursor: nextCursor }, upstreams) };
  }
  return { ...body, [key]: items };
}
