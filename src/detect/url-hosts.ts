// The destinations a call names: the hosts of the URLs in its arguments, for suppressions scoped to hosts.
import type { JsonValue } from "../json.js";
import { walkStrings } from "./walk.js";

/** A URL-looking run inside a string: scheme, `//`, and the authority up to the path. */
const URL_RUN = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;

/**
 * Host names of every absolute URL anywhere in the arguments, as WHATWG parsers read them. A run that
 * looks like a URL but does not parse counts as host "" so that a host-scoped suppression never covers it.
 */
export function urlHosts(args: JsonValue): string[] {
  const hosts = new Set<string>();
  walkStrings(args, (text) => {
    if (!text.includes("://")) return;
    for (const m of text.matchAll(URL_RUN)) {
      const run = m[0];
      hosts.add(URL.canParse(run) ? new URL(run).hostname.replace(/\.$/, "") : "");
    }
  });
  return [...hosts];
}
