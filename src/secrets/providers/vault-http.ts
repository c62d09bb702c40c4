// A minimal Vault HTTP client over `fetch`: the handful of endpoints the vault provider uses, with timeouts.
import { SecretError } from "../errors.js";

export interface VaultHttpOptions {
  /** `http://` or `https://` origin of the Vault server, e.g. `https://vault.example.com:8200`. */
  address: string;
  /** Enterprise / OpenBao namespace, sent as `X-Vault-Namespace`. */
  namespace?: string;
  /** Per request (default 5 s). */
  timeoutMs?: number;
}

export interface VaultResponse {
  status: number;
  body: Record<string, unknown> | null;
}

/** One Vault request that failed: `status` null for a network error or timeout. */
export class VaultRequestError extends SecretError {
  readonly status: number | null;
  constructor(what: string, status: number | null, cause: string) {
    // 4xx: Vault refused (bad token, missing path, no permission): the secret is not available to us.
    super(
      status !== null && status < 500 ? "SECRET_UNAVAILABLE" : "SECRET_PROVIDER_FAILED",
      `vault: ${what} failed (${cause})`,
      {
        status,
        error: cause,
      },
    );
    this.status = status;
  }
}

/**
 * Plain `fetch` against the Vault HTTP API. Errors carry the operation, the HTTP status or an errno
 * code, never the token, the request body or Vault's response (which may echo a secret).
 */
export class VaultHttp {
  readonly #base: URL;
  readonly #namespace: string | undefined;
  readonly #timeoutMs: number;

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
    this.#base = url;
    this.#namespace = options.namespace;
    this.#timeoutMs = options.timeoutMs ?? 5000;
  }

  /** `path` is relative to `/v1/`, its segments already encoded. Resolves for 2xx; throws VaultRequestError otherwise. */
  async call(
    what: string,
    method: "GET" | "POST" | "PUT",
    path: string,
    token: string | null,
    body?: Record<string, unknown>,
  ): Promise<VaultResponse> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (token !== null) headers["x-vault-token"] = token;
    if (this.#namespace) headers["x-vault-namespace"] = this.#namespace;
    if (body !== undefined) headers["content-type"] = "application/json";
    const url = new URL(`v1/${path}`, this.#base.href.endsWith("/") ? this.#base : `${this.#base.href}/`);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.#timeoutMs),
        redirect: "error",
      });
    } catch (err) {
      throw new VaultRequestError(what, null, networkCode(err));
    }
    let parsed: Record<string, unknown> | null = null;
    try {
      const text = await response.text();
      const json: unknown = text ? JSON.parse(text) : null;
      parsed =
        json !== null && typeof json === "object" && !Array.isArray(json)
          ? (json as Record<string, unknown>)
          : null;
    } catch (err) {
      if (response.ok) throw new VaultRequestError(what, response.status, networkCode(err, "bad_json"));
    }
    if (!response.ok) throw new VaultRequestError(what, response.status, `http_${response.status}`);
    return { status: response.status, body: parsed };
  }
}

function networkCode(err: unknown, fallback = "network_error"): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return "timeout";
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof cause === "string" && /^[A-Z][A-Z0-9_]{1,40}$/.test(cause) ? cause : fallback;
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
