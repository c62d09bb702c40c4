// fetch for in-process tools under the egress rules: check the host, resolve once, connect to exactly that address.
import { request as httpRequest, type IncomingMessage, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { Readable } from "node:stream";
import { type EgressCheck, EgressRules, type LookupFn } from "./egress-rules.js";
import { EgressDeniedError, type EgressViolation, SandboxError } from "./errors.js";

export interface GuardedFetchOptions {
  /** Ports that may be reached (default: any). */
  ports?: readonly number[];
  /** Called for every refusal before the error is thrown; errors are ignored. */
  onViolation?: (v: EgressViolation) => void;
  /** Redirects followed, each target checked again (default 5; 0 returns the 3xx response). */
  maxRedirects?: number;
  /** Whole request until the response headers (default 30 s). */
  timeoutMs?: number;
}

type Body = string | Uint8Array | ArrayBuffer | URLSearchParams | null | undefined;
const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * Returns a `fetch` that applies the same rules as the egress proxy: `deny` wins, the host must match
 * `allow`, IP literals are refused unless listed exactly, the name is resolved once and every address
 * must be public unless the host is allowed by its exact name; the connection then goes to the
 * checked address (a `lookup` that returns it), so a second DNS answer can never be used, with the
 * checked host as its Host header (the caller's own is replaced). TLS still verifies the certificate
 * against the host name. A refusal throws EgressDeniedError (EGRESS_DENIED)
 * and nothing is sent. Request bodies: string, bytes, URLSearchParams.
 *
 * @example
 * const fetch = guardedFetch(["api.github.com"], ["*.internal.example"]);
 * const res = await fetch("https://api.github.com/zen");
 * console.log(await res.text());
 */
export function guardedFetch(
  allow: readonly string[],
  deny: readonly string[] = [],
  lookup?: LookupFn,
  options: GuardedFetchOptions = {},
): (input: string | URL, init?: RequestInit) => Promise<Response> {
  const rules = new EgressRules({
    allow,
    deny,
    ...(options.ports ? { ports: options.ports } : {}),
    ...(lookup ? { lookup } : {}),
  });
  const maxRedirects = options.maxRedirects ?? 5;
  const refuse = (v: EgressViolation): never => {
    try {
      options.onViolation?.(v);
    } catch {}
    throw new EgressDeniedError(v);
  };
  return async (input, init = {}) => {
    let url = parseUrl(input, refuse);
    let method = (init.method ?? "GET").toUpperCase();
    let body = bodyBytes(init.body as Body);
    const headers = new Headers(init.headers);
    for (let hop = 0; ; hop++) {
      const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
      const verdict: EgressCheck = await rules.check(url.hostname, port);
      if (!verdict.ok) return refuse(verdict.violation);
      const res = await send(
        url,
        verdict,
        method,
        headers,
        body,
        init.signal ?? null,
        options.timeoutMs ?? 30_000,
      );
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (
        status >= 300 &&
        status < 400 &&
        status !== 304 &&
        location &&
        hop < maxRedirects &&
        init.redirect !== "manual"
      ) {
        res.resume();
        const from = url.origin;
        url = parseUrl(location, refuse, url);
        if (status === 303 || ((status === 301 || status === 302) && method === "POST")) {
          method = "GET";
          body = null;
          headers.delete("content-type");
          headers.delete("content-length");
        }
        if (url.origin !== from) {
          headers.delete("authorization");
          headers.delete("cookie");
        }
        continue;
      }
      return toResponse(res, method);
    }
  };
}

/** `input` as an http(s) URL (relative to `base`, a redirect's), or a `bad_request` refusal. */
function parseUrl(input: string | URL, refuse: (v: EgressViolation) => never, base?: URL): URL {
  let url: URL | null = null;
  try {
    url = new URL(String(input), base);
  } catch {}
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
    return refuse({ host: url?.hostname ?? "", port: 0, reason: "bad_request" });
  }
  return url;
}

function bodyBytes(body: Body): Buffer | null {
  if (body === null || body === undefined) return null;
  if (typeof body === "string") return Buffer.from(body);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString());
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(new Uint8Array(body));
  throw new SandboxError("SANDBOX_INVALID", "guardedFetch bodies are strings, bytes or URLSearchParams");
}

function send(
  url: URL,
  verdict: Extract<EgressCheck, { ok: true }>,
  method: string,
  headers: Headers,
  body: Buffer | null,
  signal: AbortSignal | null,
  timeoutMs: number,
): Promise<IncomingMessage> {
  const { address, family } = verdict.address;
  // The only address this request may use: the one that was checked. Never a second resolution.
  const pinned: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all)
      (cb as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else cb(null, address, family);
  };
  const out: Record<string, string> = {};
  headers.forEach((v, k) => {
    out[k] = v;
  });
  // The host that was checked, as the egress proxy sends it: a Host of the caller's could name another
  // virtual host at the allowed address (a shared load balancer or CDN).
  out.host = url.host;
  if (body !== null) out["content-length"] = String(body.length);
  const opts: RequestOptions = {
    protocol: url.protocol,
    hostname: url.hostname.replace(/^\[|\]$/g, ""),
    port: verdict.port,
    method,
    path: `${url.pathname}${url.search}`,
    headers: out,
    lookup: pinned,
    agent: false,
    timeout: timeoutMs,
    ...(signal ? { signal } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = (url.protocol === "https:" ? httpsRequest : httpRequest)(opts, resolve);
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body ?? undefined);
  });
}

function toResponse(res: IncomingMessage, method: string): Response {
  const headers = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
  }
  const status = res.statusCode ?? 502;
  const noBody = NULL_BODY.has(status) || method === "HEAD";
  if (noBody) res.resume();
  const body = noBody ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
  return new Response(body, { status, statusText: res.statusMessage ?? "", headers });
}
