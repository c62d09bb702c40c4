// What the gateway announces downstream: the union of its upstreams' capabilities; and typing for relayed messages.
import type { ServerCapabilities } from "@modelcontextprotocol/sdk/types.js";
import type { Upstream } from "./upstream.js";

/** The union of what the upstreams offer; tools always announce list changes (pins can change what is listed). */
export function mergedCapabilities(upstreams: readonly Upstream[]): ServerCapabilities {
  const caps: ServerCapabilities = {};
  const all = upstreams.map((u) => u.capabilities);
  if (all.some((c) => c.tools)) caps.tools = { listChanged: true };
  if (all.some((c) => c.resources)) {
    caps.resources = {
      subscribe: all.some((c) => c.resources?.subscribe === true),
      listChanged: all.some((c) => c.resources?.listChanged === true),
    };
  }
  if (all.some((c) => c.prompts))
    caps.prompts = { listChanged: all.some((c) => c.prompts?.listChanged === true) };
  if (all.some((c) => c.logging)) caps.logging = {};
  if (all.some((c) => c.completions)) caps.completions = {};
  return caps;
}

/** The gateway relays messages verbatim; the SDK's types list only the methods of the spec it was built for. */
export function relayed<T>(message: { method: string }): T {
  return message as T;
}
