// The destinations a call names: the hosts of the URLs in its arguments, for suppressions scoped to hosts.
import type { JsonValue } from "../json.js";
import { walkStrings } from "./walk.js";

/**
 * A URL-looking run inside a string: a scheme and `//` (or `\\`, which WHATWG parsers read as `/`), or
 * one of the special schemes WHATWG parsers give a host however few slashes follow (`https:evil.example`
 * is https://evil.example/).
 */
const URL_RUN = /\b(?:(?:https?|wss?|ftp):|[a-z][a-z0-9+.-]*:[\\/]{2})[^\s"'<>]+/gi;

/**
 * Host names of every absolute URL anywhere in the arguments, as WHATWG parsers read them. A run that
 * looks like a URL but does not parse counts as host "" so that a host-scoped suppression never covers it,
 * and so does one holding a backslash: parsers disagree on where its host ends (WHATWG reads
 * `https://crm.example\@evil.example` as crm.example, Python's urllib as evil.example).
 */
export function urlHosts(args: JsonValue): string[] {
  const hosts = new Set<string>();
  walkStrings(args, (text) => {
    if (!text.includes(":")) return;
    for (const m of text.matchAll(URL_RUN)) {
      const run = m[0];
      hosts.add(!run.includes("\\") && URL.canParse(run) ? new URL(run).hostname.replace(/\.$/, "") : "");
    }
  });
  return [...hosts];
}
