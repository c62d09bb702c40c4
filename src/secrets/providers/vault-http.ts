// A minimal Vault HTTP client over node:http(s): the handful of endpoints the vault provider uses, with
// one deadline per call, retries of transient answers within it, a cap on what Vault may answer, standby
// redirects and TLS settings.
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { backoffDelay, parseRetryAfter } from "../../webhooks/index.js";
import { SecretError } from "../errors.js";

export interface VaultHttpOptions {
  /** `http://` or `https://` origin of the Vault server, e.g. `https://vault.example.com:8200`. */
  address: string;
  /** Enterprise / OpenBao namespace, sent as `X-Vault-Namespace`. */
  namespace?: string;
  /** Per call, redirects and retries included: connecting, sending, and reading the whole answer (default 5 s). */
  timeoutMs?: number;
  /** Retries of transient answers (412, 429, 503 but sealed; 500, 502, 504 for requests that may run twice), all within `timeoutMs`. */
  retry?: VaultRetryOptions;
  /** CA certificates (PEM text) trusted for `https://`; default the system's. */
  ca?: string;
  /** The name the server's certificate must carry (and SNI), when it is not the address's host. */
  serverName?: string;
  /** The largest response body read (default 1 MiB); a larger one fails the call. */
  maxResponseBytes?: number;
}

/**
 * Capped exponential back-off with jitter, as Vault's Go client retries: each wait is drawn between half
 * and all of `minDelayMs × 2^(n-1)`, capped at `maxDelayMs`; a `Retry-After` on a 429 or 503 is waited
 * instead. No wait runs past the call's deadline: the last error is thrown at once.
 */
export interface VaultRetryOptions {
  /** Tries in all, the first included (default 4); 1 turns retries off. */
  attempts?: number;
  /** The first wait (default 250 ms). */
  minDelayMs?: number;
  /** The longest wait (default 2 s). */
  maxDelayMs?: number;
}

export interface VaultCallOptions {
  /** Statuses resolved with the body Vault sent, instead of thrown. */
  accept?: readonly number[];
  /**
   * Running the request twice leaves Vault as running it once does (a KV read, a lookup, a renewal, a
   * revocation). Only such a request is retried after a 502 or 504 (a proxy in front of Vault, which may
   * have passed the request on) or a connection that broke once the request may have been sent: Vault may
   * have carried it out. A request that makes something each time it runs (a dynamic-credentials read,
   * a token, a login) is retried only after an answer that says Vault did not carry it out: see
   * `retryable`.
   */
  idempotent?: boolean;
}

export interface VaultResponse {
  status: number;
  body: Record<string, unknown> | null;
}

/**
 * One Vault request that failed: `status` null for a network error or timeout. `details.attempts` is
 * how many times it was sent, when more than once.
 */
export class VaultRequestError extends SecretError {
  readonly status: number | null;
  /** The error's code (`details.error`): a known Vault error text's name, `http_<status>`, an errno code. */
  readonly reason: string;
  /** How long Vault asked us to wait (`Retry-After` on a 429 or 503), in ms. */
  readonly retryAfterMs: number | undefined;
  constructor(
    what: string,
    status: number | null,
    cause: string,
    extra: { retryAfterMs?: number | undefined; attempts?: number } = {},
  ) {
    const attempts = extra.attempts ?? 1;
    super(
      transient(status) ? "SECRET_PROVIDER_FAILED" : "SECRET_UNAVAILABLE",
      `vault: ${what} failed (${cause}${attempts > 1 ? `, ${attempts} tries` : ""})`,
      {
        status,
        error: cause,
        ...(attempts > 1 ? { attempts } : {}),
      },
    );
    this.status = status;
    this.reason = cause;
    this.retryAfterMs = extra.retryAfterMs;
  }
}

/**
 * 4xx: Vault refused (bad token, missing path, no permission): the secret is not available to us.
 * Not so 412 (a performance standby that has not caught up), 429 (a rate limit quota) or any 3xx, 5xx
 * (sealed, no active node) or network failure: Vault did not answer the question.
 */
function transient(status: number | null): boolean {
  return status === null || status < 400 || status >= 500 || status === 412 || status === 429;
}

/**
 * Whether a failed try is worth another within the deadline. Vault's own Go client retries 412, 429,
 * every 5xx but 501, and connection failures; we retry:
 *   - 412: a performance standby (or performance secondary) has not yet caught up with the state the
 *     request needs (a token just made on the active node); Vault's consistency docs say to retry it;
 *   - 429: a rate limit quota; the quota is checked before the request is handled;
 *   - 503 but `Vault is sealed`: a node without an active node, or refusing work it has no capacity for
 *     (adaptive overload protection, whose docs say to retry with back-off and jitter). A sealed (or
 *     uninitialized, which is sealed too) node needs an operator to unseal it: retrying only delays
 *     the failure;
 *   - a connection that could not be made (nothing was sent).
 * These answers say Vault did not carry the request out, so retrying a request that makes a lease or a
 * token cannot make two. Beyond them, only an `idempotent` request is retried: after a 500 (an internal
 * error, such as a storage backend failing for a moment, which may come after the work was done), a 502
 * or 504 (a proxy that may have passed it to Vault before failing) or a connection broken after sending.
 */
function retryable(err: VaultRequestError, idempotent: boolean): boolean {
  const { status, reason } = err;
  if (status === null) return NOT_SENT.has(reason) || (idempotent && MAYBE_SENT.has(reason));
  if (status === 412 || status === 429) return true;
  if (status === 503) return reason !== "sealed";
  return idempotent && (status === 500 || status === 502 || status === 504);
}

/** Connection failures before anything was sent. */
const NOT_SENT = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
/** Connection failures after which Vault may have received the request. */
const MAYBE_SENT = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "network_error"]);

/** Standby nodes answer 307 with the active node's address; followed at most this many times per try. */
const MAX_REDIRECTS = 3;

/** Vault's own error texts we name in an error; any other is `http_<status>` (a text may quote a path). */
const KNOWN_ERRORS: [RegExp, string][] = [
  [/^Vault is sealed$/i, "sealed"],
  [/^permission denied$/i, "permission_denied"],
  [/^missing client token$/i, "missing_token"],
  [/rate limit quota exceeded/i, "rate_limited"],
  [/^local node not active but active cluster node not found$/i, "no_active_node"],
  [/required index state not present/i, "index_not_present"],
  [/^missing 'X-Vault-Request' header$/i, "missing_request_header"],
];

/**
 * Requests against the Vault HTTP API. Errors carry the operation, the HTTP status or an errno code,
 * and a code for Vault's error text when it is a known one; never the token, the request body or
 * Vault's response (which may echo a secret).
 */
export class VaultHttp {
  readonly #base: URL;
  readonly #namespace: string | undefined;
  readonly #timeoutMs: number;
  readonly #ca: string | undefined;
  readonly #serverName: string | undefined;
  readonly #maxBytes: number;
  readonly #attempts: number;
  readonly #minDelayMs: number;
  readonly #maxDelayMs: number;

  constructor(options: VaultHttpOptions) {
    let url: URL | null = null;
    try {
      url = new URL(options.address);
    } catch {}
    if ((url?.protocol !== "http:" && url?.protocol !== "https:") || url.username || url.password) {
      throw new SecretError(
        "SECRET_PROVIDER_FAILED",
        "vault: the address must be an http(s) URL without credentials",
      );
    }
    this.#base = url.href.endsWith("/") ? url : new URL(`${url.href}/`);
    this.#namespace = options.namespace;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#ca = options.ca;
    this.#serverName = options.serverName;
    this.#maxBytes = options.maxResponseBytes ?? 1024 * 1024;
    this.#attempts = Math.max(1, Math.trunc(options.retry?.attempts ?? 4));
    this.#minDelayMs = Math.max(0, options.retry?.minDelayMs ?? 250);
    this.#maxDelayMs = Math.max(this.#minDelayMs, options.retry?.maxDelayMs ?? 2000);
  }

  /**
   * `path` is relative to `/v1/`, its segments already encoded. Resolves for 2xx and for the statuses
   * in `options.accept` (with the body Vault sent); throws VaultRequestError otherwise. A transient
   * answer is tried again (see `retryable`) while the deadline allows; past it, the last error is thrown.
   */
  async call(
    what: string,
    method: "GET" | "POST" | "PUT",
    path: string,
    token: string | null,
    body?: Record<string, unknown>,
    options: VaultCallOptions = {},
  ): Promise<VaultResponse> {
    // The header Vault Agent's `require_request_header` asks for, and the Go client always sends.
    const headers: OutgoingHttpHeaders = { accept: "application/json", "x-vault-request": "true" };
    if (token !== null) headers["x-vault-token"] = token;
    if (this.#namespace) headers["x-vault-namespace"] = this.#namespace;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), "utf8");
    if (payload) {
      headers["content-type"] = "application/json";
      headers["content-length"] = payload.length;
    }
    const deadline = Date.now() + this.#timeoutMs;
    const request = { what, method, headers, payload, deadline, accept: options.accept ?? [] };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#try(request, new URL(`v1/${path}`, this.#base));
      } catch (err) {
        if (!(err instanceof VaultRequestError)) throw err;
        const wait =
          err.retryAfterMs ??
          backoffDelay(attempt, {
            attempts: this.#attempts,
            minDelayMs: this.#minDelayMs,
            maxDelayMs: this.#maxDelayMs,
          });
        if (
          attempt >= this.#attempts ||
          !retryable(err, options.idempotent === true) ||
          Date.now() + wait >= deadline
        ) {
          throw attempt === 1
            ? err
            : new VaultRequestError(what, err.status, err.reason, { attempts: attempt });
        }
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  /** One try: the request, and the standby redirects it meets. */
  async #try(
    r: {
      what: string;
      method: string;
      headers: OutgoingHttpHeaders;
      payload: Buffer | undefined;
      deadline: number;
      accept: readonly number[];
    },
    start: URL,
  ): Promise<VaultResponse> {
    let url = start;
    for (let hops = 0; ; hops++) {
      const answer = await this.#once(r.what, r.method, url, r.headers, r.payload, r.deadline);
      if (answer.status === 307 || answer.status === 308) {
        if (hops >= MAX_REDIRECTS) throw new VaultRequestError(r.what, answer.status, "too_many_redirects");
        url = redirectTarget(r.what, url, answer);
        continue;
      }
      const parsed = parseBody(answer.text);
      const ok = answer.status >= 200 && answer.status < 300;
      if (ok && parsed === undefined) throw new VaultRequestError(r.what, answer.status, "bad_json");
      if (ok || r.accept.includes(answer.status)) return { status: answer.status, body: parsed ?? null };
      throw new VaultRequestError(r.what, answer.status, errorCause(answer.status, parsed ?? null), {
        retryAfterMs:
          answer.status === 429 || answer.status === 503
            ? (parseRetryAfter(answer.retryAfter) ?? undefined)
            : undefined,
      });
    }
  }

  #once(
    what: string,
    method: string,
    url: URL,
    headers: OutgoingHttpHeaders,
    payload: Buffer | undefined,
    deadline: number,
  ): Promise<{ status: number; location: string | undefined; retryAfter: string | undefined; text: string }> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (cause: string, status: number | null = null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(new VaultRequestError(what, status, cause));
      };
      const options = {
        method,
        headers,
        // The configured server name applies to the configured host, not to a node a standby redirects to.
        ...(url.protocol === "https:"
          ? {
              ...(this.#ca !== undefined ? { ca: this.#ca } : {}),
              ...(this.#serverName !== undefined && url.host === this.#base.host
                ? { servername: this.#serverName }
                : {}),
            }
          : {}),
      };
      const onResponse = (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const declared = Number(res.headers["content-length"]);
        if (Number.isFinite(declared) && declared > this.#maxBytes) {
          return fail("response_too_large", res.statusCode ?? null);
        }
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.#maxBytes) return fail("response_too_large", res.statusCode ?? null);
          chunks.push(chunk);
        });
        res.on("error", (err) => fail(networkCode(err)));
        res.on("aborted", () => fail("network_error"));
        res.on("end", () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            location: typeof res.headers.location === "string" ? res.headers.location : undefined,
            retryAfter:
              typeof res.headers["retry-after"] === "string" ? res.headers["retry-after"] : undefined,
            text: Buffer.concat(chunks).toString("utf8"),
          });
        });
      };
      const req =
        url.protocol === "https:"
          ? httpsRequest(url, options, onResponse)
          : httpRequest(url, options, onResponse);
      const timer = setTimeout(() => fail("timeout"), Math.max(0, deadline - Date.now()));
      req.on("error", (err) => fail(networkCode(err)));
      req.end(payload);
    });
  }
}

/** The URL a 307/308 points to: http(s), no credentials, never from https down to http. */
function redirectTarget(
  what: string,
  from: URL,
  answer: { status: number; location: string | undefined },
): URL {
  let next: URL | null = null;
  try {
    next = answer.location ? new URL(answer.location, from) : null;
  } catch {}
  if (
    !next ||
    (next.protocol !== "http:" && next.protocol !== "https:") ||
    (from.protocol === "https:" && next.protocol !== "https:") ||
    next.username ||
    next.password
  ) {
    throw new VaultRequestError(what, answer.status, "bad_redirect");
  }
  return next;
}

/** The JSON object of a body; null for an empty body or another JSON value; undefined for broken JSON. */
function parseBody(text: string): Record<string, unknown> | null | undefined {
  if (text === "") return null;
  try {
    const json: unknown = JSON.parse(text);
    return json !== null && typeof json === "object" && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : null;
  } catch {
    return undefined;
  }
}

/** A code for Vault's `{"errors": [...]}`: a known text's name, else `http_<status>`. */
function errorCause(status: number, body: Record<string, unknown> | null): string {
  if (status >= 300 && status < 400) return "unexpected_redirect";
  const errors = Array.isArray(body?.errors) ? body.errors : [];
  for (const e of errors) {
    if (typeof e !== "string") continue;
    for (const [pattern, code] of KNOWN_ERRORS) if (pattern.test(e.trim())) return code;
  }
  return `http_${status}`;
}

function networkCode(err: unknown, fallback = "network_error"): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? code : fallback;
}

/** Encodes a mount, path or role for a URL: `/`-separated segments, no empty, `.` or `..` segment. */
export function vaultPath(value: string, what: string): string {
  const segments = value.split("/");
  if (value.length === 0 || value.length > 512 || segments.some((s) => s === "" || s === "." || s === "..")) {
    throw new SecretError("SECRET_UNAVAILABLE", `vault: invalid ${what}`);
  }
  return segments.map(encodeURIComponent).join("/");
}

/** The object at `key` of a Vault response, or null. */
export function objectAt(body: Record<string, unknown> | null, key: string): Record<string, unknown> | null {
  const v = body?.[key];
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}
