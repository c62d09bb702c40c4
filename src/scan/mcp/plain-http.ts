// Rule mcp-insecure-transport's test: an MCP server URL in clear text (http://, ws://) to a host that is not loopback.

import ipaddr from "ipaddr.js";

/**
 * The scheme and host of an `http://` or `ws://` URL (`[::1]` keeps its brackets), or undefined for any
 * other URL. Read by hand, so a host or port written as a reference (`${env:HOST}`) is still found.
 */
export function plainTextTarget(url: string): { scheme: string; host: string } | undefined {
  const m = /^\s*(http|ws):\/\/([^/?#\s]*)/i.exec(url);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  const authority = m[2]!.slice(m[2]!.lastIndexOf("@") + 1);
  if (authority.startsWith("[")) {
    const end = authority.indexOf("]");
    return { scheme, host: end < 0 ? authority : authority.slice(0, end + 1) };
  }
  return { scheme, host: authority.slice(0, portColon(authority)) };
}

/** Where the port starts: the first colon outside a `${…}` reference (`${env:HOST}:${env:PORT}`). */
function portColon(authority: string): number {
  let depth = 0;
  for (let i = 0; i < authority.length; i++) {
    if (authority.startsWith("${", i)) depth++;
    else if (authority[i] === "}" && depth > 0) depth--;
    else if (authority[i] === ":" && depth === 0) return i;
  }
  return authority.length;
}

/**
 * `localhost`, 127.0.0.0/8 or ::1 (also as an IPv4-mapped address), after the URL parser's own
 * normalisation (`127.1`, `0x7f.0.0.1` and `LOCALHOST` are loopback too). A host that does not parse, such
 * as one set by a reference at launch, is not known to be loopback.
 */
export function isLoopbackHost(host: string): boolean {
  let name: string;
  try {
    name = new URL(`http://${host}/`).hostname;
  } catch {
    return false;
  }
  if (name === "localhost") return true;
  const bare = name.replace(/^\[|\]$/g, "");
  return ipaddr.isValid(bare) && ipaddr.process(bare).range() === "loopback";
}
