// `url(s)` and `isURL(s)` with the Kubernetes CEL URL library's methods, parsed as fetch() parses them.
import { CelScalar, celFunc, celMethod, listType, mapType } from "@bufbuild/cel";
import type { ReflectMessage } from "@bufbuild/protobuf/reflect";
import { textOf, URL_DESC, URL_TYPE, wrap } from "./types.js";

const MAX_INPUT = 8 * 1024;
/**
 * Whitespace, control characters and backslashes are refused outright: WHATWG parsers drop or reinterpret
 * them (`http://a.com\@b.com` is host a.com to fetch() and b.com to other clients), so a policy and the
 * tool could otherwise read two different hosts from one string.
 */
function ambiguous(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === 0x5c) return true;
  }
  return /\s/u.test(text);
}

/** Schemes whose host WHATWG parsers normalise; any other keeps its host as written (an opaque host). */
const SPECIAL = new Set(["http:", "https:", "ws:", "wss:", "ftp:", "file:"]);

/**
 * An absolute URL in its WHATWG normal form (what Node's fetch connects to): the host lower-cased,
 * IDNs in punycode, percent-encoded and numeric IPv4 hosts (`0x7f.1`, `2130706433`) as dotted quads,
 * dot segments resolved. Throws for anything else.
 */
export function parseUrl(text: string): URL {
  if (text.length > MAX_INPUT) throw new Error("url: too long");
  if (ambiguous(text)) throw new Error("url: whitespace, control characters or backslashes");
  if (!URL.canParse(text)) throw new Error("url: not an absolute URL");
  const url = new URL(text);
  const host = url.hostname;
  if (!SPECIAL.has(url.protocol) && host !== "" && !host.startsWith("[")) {
    // `ssh://EVIL.com`, `git://ev%69l.com`: the client resolves these as evil.com, so compare them so.
    const normal = URL.canParse(`http://${host}/`) ? new URL(`http://${host}/`).hostname : "";
    if (normal === "") throw new Error("url: not a valid host");
    url.hostname = normal;
    if (url.hostname !== normal) throw new Error("url: not a valid host");
  }
  return url;
}

function isUrl(text: string): boolean {
  try {
    parseUrl(text);
    return true;
  } catch {
    return false;
  }
}

const urlOf = (self: ReflectMessage) => new URL(textOf(self));

/** The host name without brackets or the root label's dot: `Example.COM.` and `example.com` are one host. */
export function hostnameOf(url: URL): string {
  const host = url.hostname;
  if (host.startsWith("[")) return host.slice(1, -1);
  return host.endsWith(".") ? host.slice(0, -1) : host;
}

function query(self: ReflectMessage) {
  const out = new Map<string, string[]>();
  for (const [k, v] of urlOf(self).searchParams) {
    const list = out.get(k);
    if (list === undefined) out.set(k, [v]);
    else list.push(v);
  }
  return out;
}

export const urlFuncs = [
  celFunc("url", [CelScalar.STRING], URL_TYPE, (s) => wrap(URL_DESC, parseUrl(s).href)),
  celFunc("isURL", [CelScalar.STRING], CelScalar.BOOL, isUrl),
  celMethod("getScheme", URL_TYPE, [], CelScalar.STRING, function () {
    return urlOf(this).protocol.slice(0, -1);
  }),
  celMethod("getHost", URL_TYPE, [], CelScalar.STRING, function () {
    const url = urlOf(this);
    const name = url.hostname.startsWith("[") ? url.hostname : hostnameOf(url);
    return url.port === "" ? name : `${name}:${url.port}`;
  }),
  celMethod("getHostname", URL_TYPE, [], CelScalar.STRING, function () {
    return hostnameOf(urlOf(this));
  }),
  celMethod("getPort", URL_TYPE, [], CelScalar.STRING, function () {
    return urlOf(this).port;
  }),
  celMethod("getEscapedPath", URL_TYPE, [], CelScalar.STRING, function () {
    return urlOf(this).pathname;
  }),
  celMethod("getQuery", URL_TYPE, [], mapType(CelScalar.STRING, listType(CelScalar.STRING)), function () {
    return query(this);
  }),
];
