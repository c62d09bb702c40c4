// The tools one downstream session sees: upstream tools reviewed (pins, poisoning), renamed, and filtered by policy.
import { McpError, type Result } from "@modelcontextprotocol/sdk/types.js";
import { decodeCursor, exposedName, gatheredPage } from "./names.js";
import type { ToolDefinition } from "./pins.js";
import type { Review, ReviewContext, ToolReviewer } from "./review.js";
import { refuseOversizedResult } from "./screen.js";
import type { Upstream } from "./upstream.js";

/** Why a tool is not listed: its definition changed since it was pinned, it looks poisoned, policy never allows it, … */
export type HiddenReason = "changed" | "poisoned" | "never-allowed" | "collision" | "bad-name";

export type UpstreamTool = ToolDefinition & Record<string, unknown>;

export interface CatalogEntry {
  exposed: string;
  upstream: Upstream;
  tool: UpstreamTool;
  review: Review;
}

// The gate's own limit on tool names: a name it would refuse must not be offered.
const TOOL_NAME = /^[\x21-\x7e]{1,256}$/;
const MAX_PAGES = 1000;

export interface CatalogDeps {
  upstreams: readonly Upstream[];
  prefixed: boolean;
  reviewer: ToolReviewer;
  context: ReviewContext;
  /** Policy: true when the session's agent may never call this exposed name. */
  neverAllowed: (exposed: string) => boolean;
  timeoutMs: number;
  /** mcp.maxResultBytes, read per listing (the policy may reload). */
  maxResultBytes: () => number;
  /** A listing the catalog could not use (too large): its upstream's tools are left out. */
  onError: (err: unknown) => void;
}

export class ToolCatalog {
  readonly #deps: CatalogDeps;
  #entries = new Map<string, CatalogEntry>();
  readonly #names = new Map<string, string[]>();

  constructor(deps: CatalogDeps) {
    this.#deps = deps;
  }

  /** Lists every upstream's tools (all pages) and reviews them; run at session start and on list_changed. */
  async loadAll(): Promise<void> {
    const listed = await Promise.all(
      this.#deps.upstreams.map((u) =>
        this.#listAll(u).catch((err: unknown) => {
          if (!tooLarge(err)) throw err;
          // Fail closed: keeping the old entries would let a listing too large to review keep them callable.
          this.#deps.onError(new Error(`upstream ${u.name}: tools/list: ${(err as Error).message}`));
          return [];
        }),
      ),
    );
    for (const [i, u] of this.#deps.upstreams.entries()) {
      this.#names.set(
        u.name,
        (listed[i] ?? []).map((t) => t.name),
      );
    }
    // Built aside and swapped in whole, so a call arriving meanwhile sees the old catalog or the new one.
    const next = new Map<string, CatalogEntry>();
    // Reviewed together so first-seen pins share one ledger commit; upstream order still decides collisions.
    for (const [i, upstream] of this.#deps.upstreams.entries()) {
      await Promise.all((listed[i] ?? []).map((tool) => this.#admit(upstream, tool, next)));
    }
    this.#entries = next;
  }

  /** One `tools/list` page (see gatheredPage); hidden tools are left out, the rest renamed. */
  async page(cursor: string | undefined, signal: AbortSignal): Promise<Result> {
    const upstreams = this.#deps.upstreams;
    const position = decodeCursor(cursor, upstreams.length);
    if (position === null) throw new RangeError("unknown cursor");
    await this.#deps.reviewer.refresh();
    return gatheredPage(position, upstreams.length, "tools", async (index, inner) => {
      const upstream = upstreams[index];
      if (upstream === undefined || !upstream.alive || !upstream.capabilities.tools) return null;
      const result = await upstream.request("tools/list", inner === undefined ? {} : { cursor: inner }, {
        signal,
        timeout: this.#deps.timeoutMs,
      });
      refuseOversizedResult(result, this.#deps.maxResultBytes());
      const listed = toolsOf(result);
      const entries = await Promise.all(listed.map((tool) => this.#admit(upstream, tool)));
      const items: UpstreamTool[] = [];
      entries.forEach((entry, i) => {
        if (entry !== null && this.hidden(entry) === null) items.push({ ...listed[i], name: entry.exposed });
      });
      return { result, items };
    });
  }

  get(exposed: string): CatalogEntry | undefined {
    return this.#entries.get(exposed);
  }

  /** null when the tool may be offered; else why not. Policy is asked each time (it may have been reloaded). */
  hidden(entry: CatalogEntry): HiddenReason | null {
    if (!TOOL_NAME.test(entry.exposed)) return "bad-name";
    if (entry.review.state !== "ok") return entry.review.state;
    if (this.#deps.neverAllowed(entry.exposed)) return "never-allowed";
    return null;
  }

  /** Reviews a blocked entry again after re-reading pins (an admin may have approved it since). */
  async recheck(entry: CatalogEntry): Promise<CatalogEntry> {
    await this.#deps.reviewer.refresh();
    entry.review = await this.#deps.reviewer.review(
      entry.upstream.name,
      entry.tool,
      this.#otherNames(entry.upstream.name),
      this.#deps.context,
    );
    return entry;
  }

  async #admit(
    upstream: Upstream,
    tool: UpstreamTool,
    into: Map<string, CatalogEntry> = this.#entries,
  ): Promise<CatalogEntry | null> {
    const exposed = exposedName(upstream.name, tool.name, this.#deps.prefixed);
    const existing = into.get(exposed);
    // Two definitions under one exposed name: the first keeps it, the later one is refused.
    if (existing && existing.upstream !== upstream) return null;
    const review = await this.#deps.reviewer.review(
      upstream.name,
      tool,
      this.#otherNames(upstream.name),
      this.#deps.context,
    );
    const entry: CatalogEntry = { exposed, upstream, tool, review };
    into.set(exposed, entry);
    return entry;
  }

  #otherNames(server: string): string[] {
    const out: string[] = [];
    for (const [name, tools] of this.#names) if (name !== server) out.push(...tools);
    return out;
  }

  async #listAll(upstream: Upstream): Promise<UpstreamTool[]> {
    if (!upstream.alive || !upstream.capabilities.tools) return [];
    const out: UpstreamTool[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await upstream.request("tools/list", cursor === undefined ? {} : { cursor }, {
        timeout: this.#deps.timeoutMs,
      });
      refuseOversizedResult(result, this.#deps.maxResultBytes());
      for (const tool of toolsOf(result)) {
        // A server listing one name twice: only the first definition counts.
        if (seen.has(tool.name)) continue;
        seen.add(tool.name);
        out.push(tool);
      }
      cursor = typeof result.nextCursor === "string" ? result.nextCursor : undefined;
      if (cursor === undefined) break;
    }
    return out;
  }
}

const tooLarge = (err: unknown): boolean =>
  err instanceof McpError && (err.data as { code?: unknown } | undefined)?.code === "RESULT_TOO_LARGE";

/** The well-formed tool entries of a tools/list result; anything else a bad peer sends is ignored. */
function toolsOf(result: Result): UpstreamTool[] {
  const tools = result.tools;
  if (!Array.isArray(tools)) return [];
  return tools.filter(
    (t): t is UpstreamTool =>
      typeof t === "object" && t !== null && typeof (t as { name?: unknown }).name === "string",
  );
}
