// What an upstream lists right now (every page): prompts/get and resources/read are checked against it,
// not against whatever this process happened to list before.
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import type { JsonObject } from "../../json.js";
import { RPC } from "./errors.js";
import type { Upstream } from "./upstream.js";

export interface ListKind {
  method: "prompts/list" | "resources/list" | "resources/templates/list";
  /** The array the result carries, and the field that names each item in it. */
  key: string;
  id: string;
}

export const PROMPTS: ListKind = { method: "prompts/list", key: "prompts", id: "name" };
export const RESOURCES: ListKind = { method: "resources/list", key: "resources", id: "uri" };
export const TEMPLATES: ListKind = {
  method: "resources/templates/list",
  key: "resourceTemplates",
  id: "uriTemplate",
};

// As the tool catalog: an upstream that pages forever is not followed forever.
const MAX_PAGES = 1000;

/** Every definition listed, by name (a name listed twice keeps both, so both are checked). */
export type Listed = Map<string, JsonObject[]>;

/**
 * Lists everything of one kind. Fails closed (MCP_UPSTREAM_UNAVAILABLE) when the listing cannot be had:
 * what cannot be checked is not served. A server without resources/templates/list lists no templates.
 */
export async function listAll(
  upstream: Upstream,
  kind: ListKind,
  options: { signal: AbortSignal; timeout: number },
): Promise<Listed> {
  const listed: Listed = new Map();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    let result: Record<string, unknown>;
    try {
      if (!upstream.alive) throw new Error("it is not connected");
      result = await upstream.request(kind.method, cursor === undefined ? {} : { cursor }, options);
    } catch (err) {
      if (options.signal.aborted) throw err;
      if (kind === TEMPLATES && err instanceof McpError && err.code === RPC.methodNotFound) return listed;
      throw unavailable(upstream, kind, err instanceof Error ? err.message : String(err));
    }
    for (const item of Array.isArray(result[kind.key]) ? (result[kind.key] as unknown[]) : []) {
      if (typeof item !== "object" || item === null || Array.isArray(item)) continue;
      const id = (item as Record<string, unknown>)[kind.id];
      if (typeof id === "string") listed.set(id, [...(listed.get(id) ?? []), item as JsonObject]);
    }
    cursor = typeof result.nextCursor === "string" ? result.nextCursor : undefined;
    if (cursor === undefined) return listed;
  }
  throw unavailable(upstream, kind, `more than ${MAX_PAGES} pages`);
}

function unavailable(upstream: Upstream, kind: ListKind, why: string): McpError {
  return new McpError(
    RPC.internalError,
    `Warden could not check ${kind.method} of server ${upstream.name} (${why}), so it serves nothing it lists`,
    { code: "MCP_UPSTREAM_UNAVAILABLE" },
  );
}
