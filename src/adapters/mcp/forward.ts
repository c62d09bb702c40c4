// Everything that is not a tool call, passed through: resources, prompts, completions, logging levels, with paging kept.
import { McpError, type Result } from "@modelcontextprotocol/sdk/types.js";
import type { JsonObject } from "../../json.js";
import { checkTexts } from "../../tool-poisoning.js";
import { checkPrompt } from "./approval.js";
import type { Extra } from "./call.js";
import { RPC } from "./errors.js";
import { decodeCursor, exposedName, gatheredPage, splitName } from "./names.js";
import { describeSubject, type PinItem } from "./pins.js";
import { progressRelay } from "./progress.js";
import { routeUri } from "./resource-route.js";
import type { ReviewContext, ToolReviewer } from "./review.js";
import type { Upstream } from "./upstream.js";

type Params = Record<string, unknown> | undefined;
type Capability = "resources" | "prompts" | "completions" | "logging";

export interface ForwardContext {
  upstreams: readonly Upstream[];
  prefixed: boolean;
  timeoutMs: number;
  /** mcp.maxResultBytes, read per request (the policy may reload). */
  maxResultBytes: () => number;
  track: (upstream: string, requestId: Extra["requestId"]) => () => void;
  /** Pins and checks every prompt, resource and template listed, got or read, like tools. */
  reviewer: ToolReviewer;
  context: ReviewContext;
}

interface ListSpec {
  key: string;
  capability: Capability;
  rename: boolean;
  /** What each item is pinned as, and the field that names it. */
  item: PinItem;
  id: string;
}

/** List methods the gateway pages across upstreams, with the array each result carries and whether names are renamed. */
const LISTS: Record<string, ListSpec> = {
  "resources/list": { key: "resources", capability: "resources", rename: false, item: "resource", id: "uri" },
  "resources/templates/list": {
    key: "resourceTemplates",
    capability: "resources",
    rename: false,
    item: "resource-template",
    id: "uriTemplate",
  },
  "prompts/list": { key: "prompts", capability: "prompts", rename: true, item: "prompt", id: "name" },
};

/** Routes one non-tool request; MethodNotFound for methods the gateway does not relay. */
export async function forwardRequest(
  ctx: ForwardContext,
  method: string,
  params: Params,
  extra: Extra,
): Promise<Result> {
  const list = LISTS[method];
  if (list) return listPage(ctx, method, list, params, extra);
  switch (method) {
    case "prompts/get":
      return byName(ctx, method, params, extra);
    case "resources/read":
    case "resources/subscribe":
    case "resources/unsubscribe":
      return byUri(ctx, method, params, extra);
    case "completion/complete":
      return complete(ctx, params, extra);
    case "logging/setLevel":
      await Promise.all(
        withCapability(ctx, "logging").map((u) => send(ctx, u, method, params, extra).catch(() => undefined)),
      );
      return {};
    default:
      throw new McpError(RPC.methodNotFound, `Method not found: ${method}`);
  }
}

function withCapability(ctx: ForwardContext, capability: Capability): Upstream[] {
  return ctx.upstreams.filter((u) => u.alive && u.capabilities[capability] !== undefined);
}

async function send(
  ctx: ForwardContext,
  upstream: Upstream,
  method: string,
  params: Params,
  extra: Extra,
): Promise<Result> {
  if (!upstream.alive) throw new McpError(RPC.connectionClosed, `upstream ${upstream.name} is not connected`);
  const untrack = ctx.track(upstream.name, extra.requestId);
  try {
    const progress = progressRelay(params?._meta as Record<string, unknown> | undefined, extra);
    const result = await upstream.request(method, params, {
      signal: extra.signal,
      timeout: ctx.timeoutMs,
      resetTimeoutOnProgress: true,
      ...progress.options,
    });
    await progress.sent();
    // The cap on tool results holds for every result (a resource read, a prompt): none is relayed past it.
    const size = Buffer.byteLength(JSON.stringify(result), "utf8");
    const limit = ctx.maxResultBytes();
    if (size > limit)
      throw new McpError(
        RPC.internalError,
        `the upstream result is ${size} bytes, more than mcp.maxResultBytes (${limit})`,
        { code: "RESULT_TOO_LARGE", size, limit },
      );
    return result;
  } finally {
    untrack();
  }
}

async function listPage(
  ctx: ForwardContext,
  method: string,
  list: ListSpec,
  params: Params,
  extra: Extra,
): Promise<Result> {
  const ups = ctx.upstreams;
  // An approval may have been written by another process since the last page.
  await ctx.reviewer.refresh();
  const cursor = typeof params?.cursor === "string" ? params.cursor : undefined;
  const position = decodeCursor(cursor, ups.length);
  if (position === null) throw new McpError(RPC.invalidParams, "unknown cursor");
  return gatheredPage(position, ups.length, list.key, async (index, inner) => {
    const upstream = ups[index];
    if (upstream === undefined || !upstream.alive || upstream.capabilities[list.capability] === undefined)
      return null;
    const { cursor: _, ...rest } = params ?? {};
    const result = await send(
      ctx,
      upstream,
      method,
      inner === undefined ? rest : { ...rest, cursor: inner },
      extra,
    );
    const listed = Array.isArray(result[list.key]) ? (result[list.key] as unknown[]) : [];
    const items = await shown(ctx, upstream, list, listed);
    return {
      result,
      items:
        list.rename && ctx.prefixed
          ? items.map((item) =>
              typeof item.name === "string"
                ? { ...item, name: exposedName(upstream.name, item.name, true) }
                : item,
            )
          : items,
    };
  });
}

/** The items of one listed page that may be shown: well-formed, and neither changed since pinned nor poisoned. */
async function shown(
  ctx: ForwardContext,
  upstream: Upstream,
  list: ListSpec,
  listed: unknown[],
): Promise<Record<string, unknown>[]> {
  const items = listed.filter(
    (item): item is JsonObject =>
      typeof item === "object" &&
      item !== null &&
      !Array.isArray(item) &&
      typeof (item as Record<string, unknown>)[list.id] === "string",
  );
  const reviews = await Promise.all(
    items.map((item) =>
      ctx.reviewer.reviewItem(
        { server: upstream.name, item: list.item, name: item[list.id] as string },
        item,
        ctx.context,
      ),
    ),
  );
  return items.filter((_, i) => reviews[i]?.state === "ok");
}

async function byName(ctx: ForwardContext, method: string, params: Params, extra: Extra): Promise<Result> {
  const name = params?.name;
  if (typeof name !== "string") throw new McpError(RPC.invalidParams, `${method} needs a name`);
  const target = route(ctx, name);
  const subject = { server: target.upstream.name, item: "prompt" as const, name: target.name };
  // Whatever this process listed before: the prompt as its upstream lists it now must be approved.
  await checkPrompt(ctx, target.upstream, target.name, extra.signal);
  const result = await send(ctx, target.upstream, method, { ...params, name: target.name }, extra);
  // The description a prompt comes back with is read by the model like the listed one.
  if (
    ctx.reviewer.poisoning === "block" &&
    typeof result.description === "string" &&
    checkTexts([result.description]).length > 0
  ) {
    throw new McpError(
      RPC.invalidParams,
      `Warden refused ${describeSubject(subject)}: its description looks like prompt injection`,
      {
        code: "MCP_TOOL_POISONED",
      },
    );
  }
  return result;
}

function route(ctx: ForwardContext, exposed: string): { upstream: Upstream; name: string } {
  const split = splitName(
    exposed,
    ctx.upstreams.map((u) => u.name),
  );
  const upstream = split && ctx.upstreams.find((u) => u.name === split.server);
  if (!split || !upstream) throw new McpError(RPC.invalidParams, `unknown name: ${exposed}`);
  return { upstream, name: split.name };
}

/** A URI goes to the upstream that lists it (see routeUri); reading or subscribing needs it approved now. */
async function byUri(ctx: ForwardContext, method: string, params: Params, extra: Extra): Promise<Result> {
  if (typeof params?.uri !== "string") throw new McpError(RPC.invalidParams, `${method} needs a uri`);
  // Unsubscribing serves nothing, and must still work for an item blocked since the subscription.
  const check = method !== "resources/unsubscribe";
  const upstream = await routeUri(ctx, params.uri, extra.signal, check);
  return send(ctx, upstream, method, params, extra);
}

async function complete(ctx: ForwardContext, params: Params, extra: Extra): Promise<Result> {
  const ref = params?.ref as { type?: unknown; name?: unknown; uri?: unknown } | undefined;
  if (ref?.type === "ref/prompt" && typeof ref.name === "string") {
    const target = route(ctx, ref.name);
    // As for prompts/get: what the user is typing goes only to a prompt that is approved now.
    await checkPrompt(ctx, target.upstream, target.name, extra.signal);
    return send(
      ctx,
      target.upstream,
      "completion/complete",
      { ...params, ref: { ...ref, name: target.name } },
      extra,
    );
  }
  if (ref?.type === "ref/resource" && typeof ref.uri === "string") {
    // Routed like a read: only the upstream whose template it is sees what the user is typing.
    const upstream = await routeUri(ctx, ref.uri, extra.signal, true);
    if (upstream.capabilities.completions === undefined)
      throw new McpError(RPC.invalidParams, `server ${upstream.name} does not complete resources`);
    return send(ctx, upstream, "completion/complete", params, extra);
  }
  throw new McpError(RPC.invalidParams, "completion/complete needs a ref/prompt or ref/resource");
}
