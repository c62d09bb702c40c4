// Rule mcp-insecure-transport's test: an MCP server URL in clear text (http://, ws://) to a host that is not loopback.

import { basename } from "node:path";
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

/**
 * The remote server URLs a stdio entry connects to on the client's behalf: `warden mcp … --url URL`
 * (as `warden mcp wrap` writes a URL server) and `mcp-remote URL`. Wrapping or bridging must not hide
 * a clear-text connection.
 */
export function bridgedUrls(command: string, args: readonly string[]): string[] {
  const words = [command, ...args];
  const urls: string[] = [];
  const bridge = words.findIndex((w) => /^mcp-remote(?:@|$)/.test(basename(w)));
  const remote = bridge < 0 ? undefined : words.slice(bridge + 1).find((w) => !w.startsWith("-"));
  if (remote !== undefined) urls.push(remote);
  if (!words.some((w) => /^(?:agent-warden(?:@|$)|warden$)/.test(basename(w))) || !args.includes("mcp"))
    return urls;
  // The gateway's own options end at `--`; what follows is the server it runs.
  const own = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
  for (const [i, w] of own.entries()) {
    if (w === "--url" && own[i + 1] !== undefined) urls.push(own[i + 1]!);
    else if (w.startsWith("--url=")) urls.push(w.slice("--url=".length));
  }
  return urls;
}
