// Which upstream a resource URI belongs to: the one that lists it or has a template covering it. URIs are
// not renamed, so with several upstreams asking each "in turn" would let the first to answer (another,
// perhaps hostile, server) see the URI and answer for it.
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import type { JsonObject } from "../../json.js";
import { type ApprovalContext, refuseUnapproved } from "./approval.js";
import { type McpGatewayCode, RPC } from "./errors.js";
import { type Listed, listAll, RESOURCES, TEMPLATES } from "./listing.js";
import type { Upstream } from "./upstream.js";
import { templateCovers } from "./uri-template.js";

/** data.code of a URI that no one upstream can be said to own. */
const RESOURCE_AMBIGUOUS: McpGatewayCode = "MCP_RESOURCE_AMBIGUOUS";

export interface ResourceRouteContext extends ApprovalContext {
  upstreams: readonly Upstream[];
}

interface Claim {
  upstream: Upstream;
  /** The resource listed under the URI, if any. */
  resources: Listed;
  /** The templates that cover the URI. */
  templates: [string, JsonObject[]][];
}

/**
 * The upstream to send a request about `uri` to. `check`: refuse unless every item of it that covers the
 * URI (the resource, its templates) is approved now. An unlisted URI goes to the one upstream that serves
 * resources; with several, Warden cannot tell which, and refuses rather than guess.
 */
export async function routeUri(
  ctx: ResourceRouteContext,
  uri: string,
  signal: AbortSignal,
  check: boolean,
): Promise<Upstream> {
  // Dead upstreams count too: their listing fails, so nothing is routed by guess while one is gone.
  const servers = ctx.upstreams.filter((u) => u.capabilities.resources !== undefined);
  if (servers.length === 0) throw new McpError(RPC.methodNotFound, "no upstream serves resources");
  // An approval may have been written by another process since this one read its pins.
  if (check) await ctx.reviewer.refresh();
  const claims = await Promise.all(servers.map((upstream) => claimOf(ctx, upstream, uri, signal)));
  const owners = claims.filter((c) => c.resources.has(uri) || c.templates.length > 0);
  const names = (cs: Claim[]) => cs.map((c) => c.upstream.name).join(", ");
  if (owners.length > 1)
    throw ambiguous(uri, `several upstreams list it, as a resource or by a template (${names(owners)})`);
  const owner = owners[0];
  if (owner === undefined) {
    const only = servers.length === 1 ? servers[0] : undefined;
    if (only === undefined)
      throw ambiguous(
        uri,
        `no upstream lists it or a template for it, and several serve resources (${names(claims)})`,
      );
    return only;
  }
  if (check) {
    const server = owner.upstream.name;
    await refuseUnapproved(ctx, { server, item: "resource", name: uri }, owner.resources.get(uri) ?? []);
    for (const [template, definitions] of owner.templates)
      await refuseUnapproved(ctx, { server, item: "resource-template", name: template }, definitions);
  }
  return owner.upstream;
}

async function claimOf(
  ctx: ResourceRouteContext,
  upstream: Upstream,
  uri: string,
  signal: AbortSignal,
): Promise<Claim> {
  const options = { signal, timeout: ctx.timeoutMs };
  const [resources, templates] = await Promise.all([
    listAll(upstream, RESOURCES, options),
    listAll(upstream, TEMPLATES, options),
  ]);
  return { upstream, resources, templates: [...templates].filter(([t]) => templateCovers(t, uri)) };
}

function ambiguous(uri: string, why: string): McpError {
  return new McpError(
    RPC.invalidParams,
    `Warden cannot tell which upstream serves ${uri}: ${why}; it asked none of them`,
    { code: RESOURCE_AMBIGUOUS },
  );
}
