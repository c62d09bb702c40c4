// A FAKE HashiCorp Vault for tests: an in-repo node:http server written from Vault's public HTTP API
// documentation (token auth method, AppRole, Kubernetes and JWT logins, KV v2, database `creds`,
// sys/leases). It is not Vault
// and was not derived from Vault's source; it implements only the endpoints the vault provider uses,
// with the semantics the docs describe:
//   - `POST /v1/auth/<mount>/login` logs in: AppRole (mount `approle`) with `role_id` and `secret_id`;
//     Kubernetes (mount `kubernetes`) with `role` and a service-account `jwt`; JWT (mount `jwt`) with
//     `jwt` and `role`, or the configured `default_role` without one. Each answers an `auth` block with a
//     renewable token of the role's TTL and max TTL. The docs give only the success answer; the fake
//     refuses a missing or unknown role or a missing JWT with 400, and a JWT that does not verify (for
//     Kubernetes, one the TokenReview API refuses: here, one not in `validJwts`) with 403 `permission
//     denied` (Kubernetes) or 400 (JWT);
//   - every request but a login needs `X-Vault-Token`; a missing, unknown, expired or revoked
//     token gets 403 `{"errors":["permission denied"]}`; so does a path the token's policies do not
//     grant, or a namespace (`X-Vault-Namespace`) other than the server's;
//   - `POST /v1/auth/token/renew-self` sets the calling token's TTL to `increment` (default its creation
//     TTL) from now, capped by its max TTL (an AppRole token's `token_max_ttl`); 400 when not renewable;
//   - `POST /v1/auth/token/create` makes a child of the calling token (unless `no_parent`, root only),
//     with `ttl` / `explicit_max_ttl` (which also caps its renewals), `renewable` (default true),
//     `no_default_policy` (without the `default` policy, lookup-self and renew-self are refused),
//     policies a subset of the parent's (all of them when omitted), and answers with an `auth` block
//     (`client_token`, `accessor`, `policies`, `lease_duration`, `renewable`, …);
//   - `GET /v1/auth/token/lookup-self` answers the calling token's `ttl` (seconds left, 0 for none),
//     `creation_ttl`, `explicit_max_ttl`, `renewable`, `expire_time`, policies and metadata;
//   - revoking a token (revoke-self, revoke-accessor, or expiry) revokes its children and every lease
//     created with it or them; `revoke-accessor` of an unknown accessor is 400 `invalid accessor`;
//   - `GET /v1/<mount>/data/<path>[?version=N]` answers `{data: {data, metadata}}`; 404 `{"errors":[]}`
//     when the secret or the version does not exist, and 404 with `{data: {data: null, metadata}}` (its
//     `deletion_time` set, or `destroyed: true`) for a deleted or destroyed version;
//   - a KV v1 mount answers `GET /v1/<mount>/<path>` with `{data: {...}}` and a `lease_duration`
//     (the refresh interval, 768h), 404 `{"errors":[]}` when absent;
//   - `GET /v1/<mount>/creds/<role>` creates a user and answers `lease_id`, `lease_duration`,
//     `renewable`, `data: {username, password}`;
//   - `PUT /v1/sys/leases/renew` sets the TTL to `increment` from now, capped by the role's max TTL
//     counted from issue; `PUT /v1/sys/leases/revoke` revokes at once (an unknown lease is a no-op);
//   - a sealed node answers every request 503 `{"errors":["Vault is sealed"]}`; a standby node (request
//     forwarding off) answers 307 with `Location:` the active node's address and the same path and query;
//   - with `requireRequestHeader` (Vault Agent's `require_request_header`), a request without
//     `X-Vault-Request: true` gets 412 `{"errors":["missing 'X-Vault-Request' header"]}`;
//   - `failNext` makes the next requests to a path fail before they are handled, as a node does that
//     has not caught up (412 `required index state not present`), a rate limit quota (429, with
//     `Retry-After` when its response headers are on), an overloaded node (503), or a load balancer
//     in front (502, 504); nothing the request would have made (a lease, a token) is made.
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";

export interface FakeVaultRole {
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
}

export interface FakeKvVersion {
  data: Record<string, unknown>;
  deleted?: boolean;
  destroyed?: boolean;
}

/** What a login role gives: the token's policies, TTL, and max TTL (renewals stop there). */
export interface FakeLoginRole {
  policies: string[];
  tokenTtlSeconds: number;
  tokenMaxTtlSeconds?: number;
}

/** A Kubernetes or JWT auth mount: its roles, and the JWTs that verify now (`acceptJwts` changes them). */
export interface FakeJwtAuth {
  mount?: string;
  roles: Record<string, FakeLoginRole>;
  validJwts: string[];
  /** JWT auth's `default_role`, used by a login without `role`. */
  defaultRole?: string;
}

export interface FakeVaultOptions {
  namespace?: string;
  /** KV v2 secrets: `"<mount>/<path>"` → data (version 1). */
  kv?: Record<string, Record<string, unknown>>;
  /** KV v2 secrets with several versions: `"<mount>/<path>"` → versions 1, 2, … in order. */
  kvVersions?: Record<string, FakeKvVersion[]>;
  /** KV v1 mounts: mount → path → data. */
  kv1?: Record<string, Record<string, Record<string, unknown>>>;
  /** Database roles: `"<mount>/<role>"`. */
  roles?: Record<string, FakeVaultRole>;
  /** AppRoles: role_id → secret_id, policies, token TTL. */
  approles?: Record<string, FakeLoginRole & { secretId: string }>;
  /** Kubernetes auth (mount default `kubernetes`). */
  kubernetes?: FakeJwtAuth;
  /** JWT auth (mount default `jwt`). */
  jwt?: FakeJwtAuth;
  /** Policy name → path patterns (relative to /v1/, a trailing `*` matches any rest). "root" grants all. */
  policies?: Record<string, string[]>;
  /** A standby node: every request is redirected (307) to this address (the active node's). */
  standbyOf?: string;
  requireRequestHeader?: boolean;
  /** Serve https with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
}

interface Token {
  id: string;
  accessor: string;
  policies: string[];
  parent: Token | null;
  children: Set<Token>;
  leases: Set<FakeLease>;
  /** ms epoch; null = never expires. */
  expireAt: number | null;
  /** ms epoch past which renew-self cannot extend it; null = no limit. */
  maxAt: number | null;
  renewable: boolean;
  createdAt: number;
  creationTtl: number;
  displayName: string;
  meta: Record<string, string>;
  orphan: boolean;
  /** Whether it has Vault's `default` policy (lookup-self, renew-self, revoke-self): not with `no_default_policy`. */
  defaultPolicy: boolean;
  path: string;
  revoked: boolean;
}

export interface FakeLease {
  id: string;
  role: FakeVaultRole;
  issuedAt: number;
  expireAt: number;
  username: string;
  password: string;
  revoked: boolean;
  token: Token;
}

/** A transient failure `failNext` answers with. */
export interface FakeFailure {
  /** The request path (`/v1/...`) it applies to; every path when absent. */
  path?: string;
  /** How many requests get it. */
  times: number;
  status: number;
  errors?: string[];
  headers?: Record<string, string>;
}

export interface LoggedRequest {
  method: string;
  path: string;
  withToken: boolean;
  body: Record<string, unknown> | null;
  /** The `X-Vault-Request` header as sent. */
  vaultRequest: string | undefined;
}

/** Paths every token may use (Vault's built-in `default` policy, the part we need). */
const DEFAULT_POLICY = ["auth/token/lookup-self", "auth/token/renew-self", "auth/token/revoke-self"];

export class FakeVault {
  readonly rootToken: string;
  address = "";
  /** Requests seen, without tokens. Bodies are kept for assertions (tests only). */
  readonly requests: LoggedRequest[] = [];
  /** A sealed Vault answers 503 to everything. */
  sealed = false;
  readonly #o: FakeVaultOptions;
  readonly #tokens = new Map<string, Token>();
  readonly #accessors = new Map<string, Token>();
  readonly #leases = new Map<string, FakeLease>();
  readonly #server: Server;
  #offsetMs = 0;
  readonly #failures: FakeFailure[] = [];

  private constructor(options: FakeVaultOptions) {
    this.#o = options;
    const root = this.#mint(["root"], null, null, "root", {}, "auth/token/root");
    this.rootToken = root.id;
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.#handle(req, res).catch(() => send(res, 500, { errors: ["internal error"] }));
    };
    this.#server = options.tls ? createHttpsServer(options.tls, handler) : createServer(handler);
  }

  static async start(options: FakeVaultOptions = {}): Promise<FakeVault> {
    const vault = new FakeVault(options);
    await new Promise<void>((resolve) => vault.#server.listen(0, "127.0.0.1", resolve));
    vault.address = `${options.tls ? "https" : "http"}://127.0.0.1:${(vault.#server.address() as AddressInfo).port}`;
    return vault;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.closeAllConnections();
      this.#server.close(() => resolve());
    });
  }

  /** From now on only these JWTs verify at `method`'s login (a rotated service-account token). */
  acceptJwts(method: "kubernetes" | "jwt", jwts: string[]): void {
    const auth = this.#o[method];
    if (auth) auth.validJwts = [...jwts];
  }

  /** The next `times` requests to `path` (any path when absent) get this answer, unhandled. */
  failNext(failure: FakeFailure): void {
    this.#failures.push({ ...failure });
  }

  /** Moves the server's clock forward (expiry tests). */
  advance(ms: number): void {
    this.#offsetMs += ms;
  }

  /** Whether these database credentials would still log in: their lease is live. */
  credsValid(username: string, password: string): boolean {
    for (const lease of this.#leases.values()) {
      if (lease.username === username) return lease.password === password && this.#leaseLive(lease);
    }
    return false;
  }

  leaseState(id: string): { live: boolean; ttlSeconds: number } | null {
    const lease = this.#leases.get(id);
    if (!lease) return null;
    const live = this.#leaseLive(lease);
    return { live, ttlSeconds: live ? Math.round((lease.expireAt - this.#now()) / 1000) : 0 };
  }

  /** Whether `token` is valid now (tests hold the tokens they were given). */
  tokenValid(token: string): boolean {
    return this.#valid(this.#tokens.get(token) ?? null) !== null;
  }

  /** Tokens that are valid now, root excluded. */
  liveTokens(): number {
    let n = 0;
    for (const t of this.#tokens.values()) if (t.id !== this.rootToken && this.#valid(t)) n++;
    return n;
  }

  #now(): number {
    return Date.now() + this.#offsetMs;
  }

  #mint(
    policies: string[],
    parent: Token | null,
    ttlSeconds: number | null,
    displayName: string,
    meta: Record<string, string>,
    path: string,
  ): Token {
    const now = this.#now();
    const token: Token = {
      id: `hvs.${randomBytes(18).toString("base64url")}`,
      accessor: randomBytes(12).toString("base64url"),
      policies,
      parent,
      children: new Set(),
      leases: new Set(),
      expireAt: ttlSeconds === null ? null : now + ttlSeconds * 1000,
      maxAt: null,
      renewable: false,
      createdAt: now,
      creationTtl: ttlSeconds ?? 0,
      displayName,
      meta,
      orphan: parent === null,
      defaultPolicy: true,
      path,
      revoked: false,
    };
    parent?.children.add(token);
    this.#tokens.set(token.id, token);
    this.#accessors.set(token.accessor, token);
    return token;
  }

  /** The token if it is usable now; an expired one (or one whose parent is gone) is revoked on the spot. */
  #valid(token: Token | null): Token | null {
    if (!token || token.revoked) return null;
    if (
      (token.expireAt !== null && token.expireAt <= this.#now()) ||
      (token.parent && !this.#valid(token.parent))
    ) {
      this.#revokeToken(token);
      return null;
    }
    return token;
  }

  #revokeToken(token: Token): void {
    if (token.revoked) return;
    token.revoked = true;
    this.#accessors.delete(token.accessor);
    for (const lease of token.leases) lease.revoked = true;
    for (const child of token.children) this.#revokeToken(child);
  }

  #leaseLive(lease: FakeLease): boolean {
    if (lease.revoked) return false;
    if (!this.#valid(lease.token)) return false;
    return lease.expireAt > this.#now();
  }

  #allowed(token: Token, path: string): boolean {
    if (token.policies.includes("root")) return true;
    if (token.defaultPolicy && DEFAULT_POLICY.includes(path)) return true;
    for (const name of token.policies) {
      for (const pattern of this.#o.policies?.[name] ?? []) {
        if (pattern.endsWith("*") ? path.startsWith(pattern.slice(0, -1)) : path === pattern) return true;
      }
    }
    return false;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://vault");
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: Record<string, unknown> | null = null;
    if (chunks.length > 0) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      } catch {
        return send(res, 400, { errors: ["failed to parse JSON input"] });
      }
    }
    const method = req.method ?? "GET";
    const tokenHeader = req.headers["x-vault-token"];
    const vaultRequest = req.headers["x-vault-request"];
    this.requests.push({
      method,
      path: url.pathname,
      withToken: typeof tokenHeader === "string",
      body,
      vaultRequest: typeof vaultRequest === "string" ? vaultRequest : undefined,
    });
    if (this.#o.requireRequestHeader && vaultRequest !== "true") {
      return send(res, 412, { errors: ["missing 'X-Vault-Request' header"] });
    }
    const failure = this.#failures.find((f) => f.times > 0 && (f.path ?? url.pathname) === url.pathname);
    if (failure) {
      failure.times--;
      res.setHeader("content-type", "application/json");
      for (const [name, value] of Object.entries(failure.headers ?? {})) res.setHeader(name, value);
      res.writeHead(failure.status).end(JSON.stringify({ errors: failure.errors ?? [] }));
      return;
    }
    if (this.sealed) return send(res, 503, { errors: ["Vault is sealed"] });
    if (this.#o.standbyOf) {
      const location = new URL(`${url.pathname}${url.search}`, this.#o.standbyOf).href;
      res.writeHead(307, { location, "content-type": "text/html; charset=utf-8" });
      res.end(`<a href="${location}">Temporary Redirect</a>.\n`);
      return;
    }
    if (!url.pathname.startsWith("/v1/")) return send(res, 404, { errors: [] });
    const path = url.pathname.slice(4).split("/").map(decodeURIComponent).join("/");
    const namespace = req.headers["x-vault-namespace"];
    if ((this.#o.namespace ?? undefined) !== (typeof namespace === "string" ? namespace : undefined)) {
      return send(res, 403, { errors: ["permission denied"] });
    }
    const login = method === "POST" || method === "PUT" ? /^auth\/(.+)\/login$/.exec(path)?.[1] : undefined;
    if (login === "approle") return this.#login(res, body);
    for (const kind of ["kubernetes", "jwt"] as const) {
      const auth = this.#o[kind];
      if (auth && login === (auth.mount ?? kind)) return this.#jwtLogin(res, kind, auth, body);
    }
    const token = this.#valid(
      typeof tokenHeader === "string" ? (this.#tokens.get(tokenHeader) ?? null) : null,
    );
    if (!token || !this.#allowed(token, path)) return send(res, 403, { errors: ["permission denied"] });

    if (method === "POST" && path === "auth/token/create") return this.#createToken(res, token, body ?? {});
    if (method === "GET" && path === "auth/token/lookup-self") return this.#lookupSelf(res, token);
    if ((method === "POST" || method === "PUT") && path === "auth/token/renew-self") {
      return this.#renewSelf(res, token, body ?? {});
    }
    if ((method === "POST" || method === "PUT") && path === "auth/token/revoke-self") {
      this.#revokeToken(token);
      return send(res, 204, null);
    }
    if ((method === "POST" || method === "PUT") && path === "auth/token/revoke-accessor") {
      const target = this.#accessors.get(String(body?.accessor ?? ""));
      if (!target || !this.#valid(target)) return send(res, 400, { errors: ["invalid accessor"] });
      this.#revokeToken(target);
      return send(res, 204, null);
    }
    if ((method === "PUT" || method === "POST") && path === "sys/leases/renew")
      return this.#renew(res, body ?? {});
    if ((method === "PUT" || method === "POST") && path === "sys/leases/revoke") {
      const lease = this.#leases.get(String(body?.lease_id ?? ""));
      if (lease) lease.revoked = true;
      return send(res, 204, null);
    }
    for (const [mount, secrets] of Object.entries(this.#o.kv1 ?? {})) {
      if (method === "GET" && path.startsWith(`${mount}/`)) {
        const data = secrets[path.slice(mount.length + 1)];
        if (!data) return send(res, 404, { errors: [] });
        return send(res, 200, envelope({ data, lease_duration: 768 * 3600 }));
      }
    }
    const kv = /^(.+?)\/data\/(.+)$/.exec(path);
    if (method === "GET" && kv) return this.#readKv(res, kv[1]!, kv[2]!, url.searchParams.get("version"));
    const creds = /^(.+?)\/creds\/([^/]+)$/.exec(path);
    if (method === "GET" && creds) return this.#creds(res, token, creds[1]!, creds[2]!);
    return send(res, 404, { errors: [] });
  }

  #login(res: ServerResponse, body: Record<string, unknown> | null): undefined {
    const role = this.#o.approles?.[String(body?.role_id ?? "")];
    if (!role || role.secretId !== body?.secret_id) {
      return send(res, 400, { errors: ["invalid role or secret ID"] });
    }
    this.#issue(res, role, "approle", { role_name: "warden" });
  }

  #jwtLogin(
    res: ServerResponse,
    kind: "kubernetes" | "jwt",
    auth: FakeJwtAuth,
    body: Record<string, unknown> | null,
  ): undefined {
    const name = typeof body?.role === "string" && body.role !== "" ? body.role : auth.defaultRole;
    if (!name || (kind === "kubernetes" && body?.role === undefined)) {
      return send(res, 400, { errors: ["missing role"] });
    }
    const role = auth.roles[name];
    if (!role) return send(res, 400, { errors: [`invalid role name "${name}"`] });
    const jwt = body?.jwt;
    if (typeof jwt !== "string" || jwt === "") return send(res, 400, { errors: ["missing jwt"] });
    if (!auth.validJwts.includes(jwt)) {
      return kind === "kubernetes"
        ? send(res, 403, { errors: ["permission denied"] })
        : send(res, 400, { errors: ["error validating token: invalid signature"] });
    }
    this.#issue(res, role, kind, { role: name }, `auth/${auth.mount ?? kind}/login`);
  }

  /** A login's token: renewable, the role's TTL, capped at its max TTL. */
  #issue(
    res: ServerResponse,
    role: FakeLoginRole,
    display: string,
    metadata: Record<string, string>,
    path = "auth/approle/login",
  ): undefined {
    const token = this.#mint(role.policies, null, role.tokenTtlSeconds, display, metadata, path);
    token.renewable = true;
    if (role.tokenMaxTtlSeconds) token.maxAt = token.createdAt + role.tokenMaxTtlSeconds * 1000;
    send(res, 200, envelope({ auth: authBlock(token, metadata) }));
  }

  #createToken(res: ServerResponse, parent: Token, body: Record<string, unknown>): undefined {
    const isRoot = parent.policies.includes("root");
    if (body.no_parent === true && !isRoot) {
      return send(res, 400, { errors: ["root or sudo privileges required to create orphan token"] });
    }
    let policies = parent.policies;
    if (Array.isArray(body.policies)) {
      policies = body.policies.map(String);
      if (!isRoot && !policies.every((p) => parent.policies.includes(p))) {
        return send(res, 400, { errors: ["child policies must be subset of parent"] });
      }
    }
    let ttl = parseTtl(body.ttl) ?? 768 * 3600;
    const max = parseTtl(body.explicit_max_ttl);
    if (max !== null && max > 0) ttl = Math.min(ttl, max);
    const meta = (body.meta ?? {}) as Record<string, string>;
    const display = `token-${String(body.display_name ?? "")}`;
    const child = this.#mint(
      policies,
      body.no_parent === true ? null : parent,
      ttl,
      display,
      meta,
      "auth/token/create",
    );
    child.renewable = body.renewable !== false;
    child.defaultPolicy = body.no_default_policy !== true;
    if (max !== null && max > 0) child.maxAt = child.createdAt + max * 1000;
    send(res, 200, envelope({ auth: authBlock(child, meta, child.renewable) }));
  }

  /** The TTL becomes `increment` (default the creation TTL) from now, capped by the token's max TTL. */
  #renewSelf(res: ServerResponse, token: Token, body: Record<string, unknown>): undefined {
    if (!token.renewable || token.expireAt === null) {
      return send(res, 400, { errors: ["lease is not renewable"] });
    }
    const now = this.#now();
    let ttl = parseTtl(body.increment) ?? token.creationTtl;
    const warnings: string[] = [];
    if (token.maxAt !== null && now + ttl * 1000 > token.maxAt) {
      ttl = Math.max(0, Math.floor((token.maxAt - now) / 1000));
      warnings.push("TTL of the token exceeded the effective max_ttl; TTL value is capped accordingly");
    }
    token.expireAt = now + ttl * 1000;
    send(
      res,
      200,
      envelope({
        auth: { ...authBlock(token, token.meta), lease_duration: ttl },
        warnings: warnings.length ? warnings : null,
      }),
    );
  }

  #lookupSelf(res: ServerResponse, token: Token): undefined {
    const ttl = token.expireAt === null ? 0 : Math.max(0, Math.round((token.expireAt - this.#now()) / 1000));
    send(
      res,
      200,
      envelope({
        data: {
          accessor: token.accessor,
          creation_time: Math.floor(token.createdAt / 1000),
          creation_ttl: token.creationTtl,
          display_name: token.displayName,
          expire_time: token.expireAt === null ? null : new Date(token.expireAt).toISOString(),
          // A login's max TTL is its role's `token_max_ttl`, not an explicit one.
          explicit_max_ttl:
            token.maxAt === null || token.path !== "auth/token/create"
              ? 0
              : Math.round((token.maxAt - token.createdAt) / 1000),
          id: token.id,
          meta: token.meta,
          num_uses: 0,
          orphan: token.orphan,
          path: token.path,
          policies: token.policies,
          renewable: token.renewable,
          ttl,
          type: "service",
        },
      }),
    );
  }

  #readKv(res: ServerResponse, mount: string, path: string, version: string | null): undefined {
    const key = `${mount}/${path}`;
    const one = this.#o.kv?.[key];
    const versions = this.#o.kvVersions?.[key] ?? (one ? [{ data: one }] : []);
    // `?version=0` (or none) is the current version.
    const n = version === null || version === "0" ? versions.length : Number(version);
    const entry = Number.isInteger(n) && n >= 1 ? versions[n - 1] : undefined;
    if (!entry) return send(res, 404, { errors: [] });
    const metadata = {
      created_time: "2026-01-01T00:00:00.000000Z",
      custom_metadata: null,
      deletion_time: entry.deleted ? "2026-01-02T00:00:00.000000Z" : "",
      destroyed: entry.destroyed === true,
      version: n,
    };
    if (entry.deleted || entry.destroyed) return send(res, 404, envelope({ data: { data: null, metadata } }));
    send(res, 200, envelope({ data: { data: entry.data, metadata } }));
  }

  #creds(res: ServerResponse, token: Token, mount: string, roleName: string): undefined {
    const role = this.#o.roles?.[`${mount}/${roleName}`];
    if (!role) return send(res, 400, { errors: [`unknown role: ${roleName}`] });
    const now = this.#now();
    const ttl = Math.min(role.defaultTtlSeconds, role.maxTtlSeconds);
    const lease: FakeLease = {
      id: `${mount}/creds/${roleName}/${randomUUID()}`,
      role,
      issuedAt: now,
      expireAt: now + ttl * 1000,
      username: `v-token-${roleName}-${randomBytes(6).toString("hex")}`,
      password: randomBytes(15).toString("base64url"),
      revoked: false,
      token,
    };
    this.#leases.set(lease.id, lease);
    token.leases.add(lease);
    send(res, 200, {
      ...envelope({ data: { username: lease.username, password: lease.password } }),
      lease_id: lease.id,
      lease_duration: ttl,
      renewable: true,
    });
  }

  #renew(res: ServerResponse, body: Record<string, unknown>): undefined {
    const lease = this.#leases.get(String(body.lease_id ?? ""));
    if (!lease || !this.#leaseLive(lease)) return send(res, 400, { errors: ["lease not found"] });
    const now = this.#now();
    const increment = typeof body.increment === "number" ? body.increment : lease.role.defaultTtlSeconds;
    const left = Math.floor((lease.issuedAt + lease.role.maxTtlSeconds * 1000 - now) / 1000);
    const ttl = Math.max(0, Math.min(increment, left));
    lease.expireAt = now + ttl * 1000;
    send(res, 200, { ...envelope({}), lease_id: lease.id, renewable: ttl > 0, lease_duration: ttl });
  }
}

function envelope(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    request_id: randomUUID(),
    lease_id: "",
    renewable: false,
    lease_duration: 0,
    data: null,
    wrap_info: null,
    warnings: null,
    auth: null,
    ...fields,
  };
}

function authBlock(
  token: Token,
  metadata: Record<string, string>,
  renewable = true,
): Record<string, unknown> {
  return {
    client_token: token.id,
    accessor: token.accessor,
    policies: token.policies,
    token_policies: token.policies,
    metadata,
    lease_duration: token.creationTtl,
    renewable,
    entity_id: "",
    token_type: "service",
    orphan: token.orphan,
  };
}

/** "90s", "15m", "2h" or a number of seconds. */
function parseTtl(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return Math.max(0, Math.trunc(v));
  if (typeof v !== "string" || v === "") return null;
  const m = /^(\d+)(s|m|h)?$/.exec(v);
  if (!m) return null;
  return Number(m[1]) * ({ s: 1, m: 60, h: 3600 } as const)[(m[2] ?? "s") as "s" | "m" | "h"];
}

function send(res: ServerResponse, status: number, body: unknown): undefined {
  if (status === 204 || body === null) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res
    .writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
    .end(text);
}
