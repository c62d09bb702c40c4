// The `vault` provider: KV v2 reads and dynamic credentials through a per-session child token, over plain fetch.
//
// Why not node-vault: it is a dependency (with its own request stack) for six endpoints, and hides the
// timeouts and error texts we must control so that a token or a secret never reaches a message.
import type { SecretSpec } from "../config.js";
import { SecretError } from "../errors.js";
import type { Lease, RevokeOptions, RevokeTarget, SecretProvider, SecretSession } from "../types.js";
import { leaseId } from "./static.js";
import { checkAuth, loginRequest, type VaultAuth } from "./vault-auth.js";
import { objectAt, VaultHttp, type VaultHttpOptions, VaultRequestError, vaultPath } from "./vault-http.js";

export type { VaultAuth } from "./vault-auth.js";

export interface VaultProviderOptions extends VaultHttpOptions {
  /** Provider name secret specs refer to (default "vault"). */
  name?: string;
  /** How Warden itself logs in: a token, or AppRole, Kubernetes or JWT (`POST /v1/auth/<mount>/login`). */
  auth: VaultAuth;
  /** Policies of each session's child token (default: those of Warden's token). */
  sessionPolicies?: string[];
}

interface SessionToken {
  token: string;
  accessor: string;
}

interface ParentToken {
  token: string;
  /** ms epoch after which to renew it, log in again, or (a given token that cannot be renewed) fail. */
  renewAt: number;
  /** ms epoch at which Vault lets it expire; Infinity when it does not. */
  expiresAt: number;
  /** Whether `renew-self` may extend it (a renewable token short of its max TTL). */
  renewable: boolean;
  /** The TTL it was given at login or creation: what each renewal asks for. */
  ttlSeconds: number;
  /** Why it can no longer be renewed, when it cannot. */
  end?: TokenEnd;
}

/** Why Warden's own token cannot be renewed: Vault made it so, its max TTL was reached, or Vault refused. */
type TokenEnd = "not_renewable" | "max_ttl" | "renewal_refused";

/**
 * Each Warden session gets its own child token (`POST /v1/auth/token/create`, TTL = the session's
 * remaining time), and reads its secrets with it; ending the session revokes that token
 * (`revoke-self`), and Vault revokes every lease created with it. Lease renewal and revocation use
 * Warden's own token, so they also work after a crash from the recorded handle
 * `{type: "vault", leaseId, accessor}`. Warden's own token, from a login or given in `tokenEnv`, is
 * renewed (`renew-self`) while it can be, as the session tokens die with it; a login's token that cannot
 * be is replaced by logging in again, a given one serves until it expires and then fails with
 * `token_expired`. A session whose token died anyway gets a new one at its next lease.
 *
 * @example
 * const vault = new VaultProvider({ address: "https://vault.example.com:8200", auth: { approle: { roleId, secretId } } });
 * const lease = await vault.lease(
 *   { name: "db", provider: "vault", tools: ["query"], maxTtlMs: 600_000, creds: { mount: "database", role: "readonly" } },
 *   { id: "ses_1", agent: "bot", onBehalfOf: "alice@example.com", deadline: new Date(Date.now() + 3_600_000) },
 *   600_000,
 * );
 * await vault.endSession("ses_1");
 */
export class VaultProvider implements SecretProvider {
  readonly name: string;
  readonly #http: VaultHttp;
  readonly #auth: VaultAuth;
  readonly #policies: string[] | undefined;
  readonly #sessions = new Map<string, Promise<SessionToken>>();
  #parent: Promise<ParentToken> | null = null;

  constructor(options: VaultProviderOptions) {
    this.name = options.name ?? "vault";
    this.#http = new VaultHttp(options);
    this.#auth = options.auth;
    this.#policies = options.sessionPolicies;
    checkAuth(this.name, this.#auth);
  }

  async lease(spec: SecretSpec, session: SecretSession, ttlMs: number): Promise<Lease> {
    if (!spec.kv && !spec.creds) {
      throw new SecretError("SECRET_UNAVAILABLE", `secret ${spec.name}: neither kv nor creds is set`, {
        secret: spec.name,
      });
    }
    const read = (child: SessionToken) =>
      spec.kv ? this.#readKv(spec, child, ttlMs) : this.#readCreds(spec, child, ttlMs);
    const entry = this.#sessionToken(session);
    const child = await entry;
    try {
      return await read(child);
    } catch (err) {
      if (!(err instanceof VaultRequestError && err.status === 403) || (await this.#tokenAlive(child)))
        throw err;
      // The session token is gone: Vault revoked it with the token that made it (an AppRole login that
      // reached its max TTL, or was revoked). Its leases went with it; the session gets a new one.
      if (this.#sessions.get(session.id) === entry) this.#sessions.delete(session.id);
      return read(await this.#sessionToken(session));
    }
  }

  async renew(lease: Lease, ttlMs: number): Promise<Lease> {
    const vaultLease = str(lease.revokeHandle.leaseId);
    if (!lease.renewable || !vaultLease) {
      throw new SecretError("SECRET_UNAVAILABLE", `secret ${lease.name}: the lease is not renewable`, {
        secret: lease.name,
      });
    }
    const { body } = await this.#withParent("renew a lease", (token) =>
      this.#http.call(
        "renew a lease",
        "PUT",
        "sys/leases/renew",
        token,
        { lease_id: vaultLease, increment: Math.max(1, Math.ceil(ttlMs / 1000)) },
        IDEMPOTENT,
      ),
    );
    const seconds = num(body?.lease_duration);
    const granted = Math.min(ttlMs, seconds * 1000);
    return {
      ...lease,
      ttlMs: granted,
      expiresAt: new Date(Date.now() + granted),
      renewable: body?.renewable === true,
    };
  }

  async revoke(lease: RevokeTarget, options: RevokeOptions = {}): Promise<void> {
    const vaultLease = str(lease.revokeHandle.leaseId);
    const accessor = str(lease.revokeHandle.accessor);
    if (vaultLease) {
      // sync: true — the call returns once the backend has removed the credential, not merely queued it.
      await this.#withParent("revoke a lease", (token) =>
        this.#http.call(
          "revoke a lease",
          "PUT",
          "sys/leases/revoke",
          token,
          { lease_id: vaultLease, sync: true },
          IDEMPOTENT,
        ),
      );
    }
    if (options.final && accessor) await this.#revokeAccessor(accessor);
  }

  async endSession(sessionId: string): Promise<void> {
    const entry = this.#sessions.get(sessionId);
    if (!entry) return;
    this.#sessions.delete(sessionId);
    let child: SessionToken;
    try {
      child = await entry;
    } catch {
      return; // never created: nothing to revoke
    }
    try {
      await this.#http.call(
        "revoke the session token",
        "POST",
        "auth/token/revoke-self",
        child.token,
        undefined,
        IDEMPOTENT,
      );
    } catch (err) {
      // 403: the token is already invalid (expired, or revoked with its parent), and so are its leases.
      if (!(err instanceof VaultRequestError && err.status === 403)) throw err;
    }
  }

  async close(): Promise<void> {
    this.#sessions.clear();
  }

  async #readKv(spec: SecretSpec, child: SessionToken, ttlMs: number): Promise<Lease> {
    const kv = spec.kv!;
    const what = `read ${spec.name}`;
    const v1 = kv.kvVersion === 1;
    const version = v1 || kv.version === undefined ? "" : `?version=${Math.trunc(kv.version)}`;
    const [mount, secret] = [vaultPath(kv.mount, "mount"), vaultPath(kv.path, "path")];
    const path = v1 ? `${mount}/${secret}` : `${mount}/data/${secret}${version}`;
    // KV v2 answers a deleted or destroyed version with 404 and its metadata: say which.
    const { status, body } = await this.#http.call(what, "GET", path, child.token, undefined, {
      accept: v1 ? [] : [404],
      idempotent: true,
    });
    if (status === 404) {
      const metadata = objectAt(objectAt(body, "data"), "metadata");
      const cause =
        metadata?.destroyed === true
          ? "version_destroyed"
          : str(metadata?.deletion_time)
            ? "version_deleted"
            : "http_404";
      throw new VaultRequestError(what, 404, cause);
    }
    const value = (v1 ? objectAt(body, "data") : objectAt(objectAt(body, "data"), "data"))?.[kv.field];
    if (typeof value !== "string" || value === "") {
      throw new SecretError(
        "SECRET_UNAVAILABLE",
        `secret ${spec.name}: field ${kv.field} is not a non-empty string`,
        {
          secret: spec.name,
        },
      );
    }
    return {
      id: leaseId(this.name),
      secret: value,
      provider: this.name,
      name: spec.name,
      ttlMs,
      expiresAt: new Date(Date.now() + ttlMs),
      renewable: false,
      revokeHandle: { type: "vault", leaseId: null, accessor: child.accessor },
    };
  }

  async #readCreds(spec: SecretSpec, child: SessionToken, ttlMs: number): Promise<Lease> {
    const creds = spec.creds!;
    const path = `${vaultPath(creds.mount, "mount")}/creds/${vaultPath(creds.role, "role")}`;
    // Each read makes a lease (and a database user): not idempotent, so retried only after an answer that
    // says Vault did not run it (see VaultHttp). Should one run anyway, its lease belongs to the session
    // token and is revoked with it at the session's end.
    const { body } = await this.#http.call(`read ${spec.name}`, "GET", path, child.token);
    const vaultLease = str(body?.lease_id);
    const data = objectAt(body, "data");
    const value = data?.[creds.field ?? "password"];
    if (!vaultLease || typeof value !== "string" || value === "") {
      if (vaultLease)
        await this.revoke({
          id: vaultLease,
          provider: this.name,
          name: spec.name,
          revokeHandle: { leaseId: vaultLease },
        }).catch(() => undefined);
      throw new SecretError(
        "SECRET_UNAVAILABLE",
        `secret ${spec.name}: Vault returned no lease or no ${creds.field ?? "password"}`,
        {
          secret: spec.name,
        },
      );
    }
    let renewable = body?.renewable === true;
    let seconds = num(body?.lease_duration);
    if (seconds * 1000 > ttlMs && renewable) {
      // Shorten the lease to what the spec and the session allow (a renewal sets the TTL from now).
      const renewed = await this.#withParent("shorten a lease", (token) =>
        this.#http.call(
          "shorten a lease",
          "PUT",
          "sys/leases/renew",
          token,
          { lease_id: vaultLease, increment: Math.max(1, Math.ceil(ttlMs / 1000)) },
          IDEMPOTENT,
        ),
      ).catch(() => null);
      if (renewed) {
        seconds = num(renewed.body?.lease_duration);
        renewable = renewed.body?.renewable === true;
      }
    }
    const granted = Math.min(ttlMs, seconds * 1000);
    const username = data?.username;
    return {
      id: vaultLease,
      secret: value,
      ...(typeof username === "string" ? { username } : {}),
      provider: this.name,
      name: spec.name,
      ttlMs: granted,
      expiresAt: new Date(Date.now() + granted),
      renewable,
      revokeHandle: { type: "vault", leaseId: vaultLease, accessor: child.accessor },
    };
  }

  #sessionToken(session: SecretSession): Promise<SessionToken> {
    let entry = this.#sessions.get(session.id);
    if (!entry) {
      entry = this.#createSessionToken(session);
      this.#sessions.set(session.id, entry);
      // A failed creation is not cached: the next lease tries again.
      entry.catch(() => this.#sessions.get(session.id) === entry && this.#sessions.delete(session.id));
    }
    return entry;
  }

  async #createSessionToken(session: SecretSession): Promise<SessionToken> {
    const seconds = Math.ceil((session.deadline.getTime() - Date.now()) / 1000);
    if (seconds <= 0) {
      throw new SecretError("SECRET_UNAVAILABLE", `session ${session.id} is past its deadline`, {
        session: session.id,
      });
    }
    const { body } = await this.#withParent("create the session token", (token) =>
      this.#http.call("create the session token", "POST", "auth/token/create", token, {
        ttl: `${seconds}s`,
        explicit_max_ttl: `${seconds}s`,
        renewable: false,
        no_parent: false,
        display_name: `warden-${session.id}`.slice(0, 100),
        meta: { warden_session: session.id, agent: session.agent, on_behalf_of: session.onBehalfOf },
        ...(this.#policies ? { policies: this.#policies } : {}),
      }),
    );
    const auth = objectAt(body, "auth");
    const token = str(auth?.client_token);
    const accessor = str(auth?.accessor);
    if (!token || !accessor) throw new VaultRequestError("create the session token", 200, "no_token");
    return { token, accessor };
  }

  async #revokeAccessor(accessor: string): Promise<void> {
    try {
      await this.#withParent("revoke a session token", (token) =>
        this.#http.call(
          "revoke a session token",
          "POST",
          "auth/token/revoke-accessor",
          token,
          { accessor },
          IDEMPOTENT,
        ),
      );
    } catch (err) {
      // 400 "invalid accessor": the token is gone already (revoked, or expired and tidied).
      if (!(err instanceof VaultRequestError && err.status === 400)) throw err;
    }
  }

  /** Runs `fn` with Warden's token; on 403 with a token from a login, logs in again once and retries. */
  async #withParent<T>(what: string, fn: (token: string) => Promise<T>): Promise<T> {
    const parent = await this.#parentToken(what);
    try {
      return await fn(parent.token);
    } catch (err) {
      if ("token" in this.#auth || !(err instanceof VaultRequestError && err.status === 403)) throw err;
      this.#parent = null;
      return fn((await this.#parentToken(what)).token);
    }
  }

  #parentToken(what: string): Promise<ParentToken> {
    const given = "token" in this.#auth;
    const current = this.#parent;
    if (!current) return given ? this.#lookupGiven(what) : this.#login(what);
    return current.then((p) => {
      if (p.renewAt > Date.now()) return p;
      // Due: one caller renews (or logs in again), the others wait for it.
      if (this.#parent !== current) return this.#parentToken(what);
      if (p.renewable) return this.#renewSelf(p, what);
      if (!given) return this.#login(what);
      // A given token that can no longer be renewed serves until it expires; then nothing can replace it.
      if (p.expiresAt > Date.now()) return this.#hold(Promise.resolve({ ...p, renewAt: p.expiresAt }));
      throw new SecretError(
        "SECRET_PROVIDER_FAILED",
        `vault provider ${this.name}: Warden's token (tokenEnv) expired at ${new Date(p.expiresAt).toISOString()} and cannot be renewed (${p.end ?? "not_renewable"}); give Warden a new token, or log in with approle, kubernetes or jwt`,
        { error: "token_expired", reason: p.end ?? "not_renewable" },
      );
    });
  }

  /**
   * A token given in `tokenEnv`: `GET /v1/auth/token/lookup-self` says whether it expires and whether it
   * is renewable. One that expires is renewed (`renew-self`) as a login's token is, before it expires;
   * one that cannot be serves until it expires and then fails with `token_expired`.
   */
  #lookupGiven(what: string): Promise<ParentToken> {
    const token = (this.#auth as { token: string }).token;
    const lookup = (async () => {
      let body: Record<string, unknown> | null;
      try {
        ({ body } = await this.#http.call(
          `look up Warden's token (${what})`,
          "GET",
          "auth/token/lookup-self",
          token,
          undefined,
          IDEMPOTENT,
        ));
      } catch (err) {
        if (!(err instanceof VaultRequestError && err.status === 403)) throw err;
        // Refused: a token without Vault's `default` policy (which grants lookup-self and renew-self)
        // cannot be renewed either, or one that is not valid, which its first use will say. Used as given.
        const never = Number.POSITIVE_INFINITY;
        return { token, renewAt: never, expiresAt: never, renewable: false, ttlSeconds: 0 };
      }
      const data = objectAt(body, "data");
      const seconds = num(data?.ttl);
      const renewable = data?.renewable === true;
      const p = { ...parentTimes(token, seconds, renewable), ttlSeconds: num(data?.creation_ttl) || seconds };
      return renewable ? p : { ...p, renewAt: p.expiresAt, end: "not_renewable" as const };
    })();
    return this.#hold(lookup);
  }

  /**
   * `POST /v1/auth/token/renew-self`: keeps Warden's token, and with it the session tokens it made,
   * alive up to its max TTL. Logging in again would leave those to die with the old token. A refused
   * renewal logs in again (a given token serves on until it expires); a renewal cut short by the max TTL
   * is the last one. When Vault does not answer, the token serves on while it lasts and the next use
   * tries again.
   */
  #renewSelf(p: ParentToken, what: string): Promise<ParentToken> {
    const renew = (async (): Promise<ParentToken> => {
      let body: Record<string, unknown> | null;
      try {
        ({ body } = await this.#http.call(
          `renew Warden's token (${what})`,
          "POST",
          "auth/token/renew-self",
          p.token,
          { increment: `${p.ttlSeconds}s` },
          IDEMPOTENT,
        ));
      } catch (err) {
        if (err instanceof VaultRequestError && err.status !== null && err.status < 500) {
          if (!("token" in this.#auth)) return this.#login(what);
          return { ...p, renewable: false, renewAt: p.expiresAt, end: "renewal_refused" };
        }
        if (p.expiresAt > Date.now()) return p;
        throw err;
      }
      const a = objectAt(body, "auth");
      const seconds = num(a?.lease_duration);
      const renewable = a?.renewable === true && seconds >= p.ttlSeconds;
      return {
        ...parentTimes(str(a?.client_token) ?? p.token, seconds, renewable),
        ttlSeconds: p.ttlSeconds,
        ...(renewable ? {} : { end: "max_ttl" as const }),
      };
    })();
    return this.#hold(renew);
  }

  /** `POST /v1/auth/<mount>/login` with the method's credentials (a JWT file read afresh). */
  #login(what: string): Promise<ParentToken> {
    const auth = this.#auth as Exclude<VaultAuth, { token: string }>;
    const login = (async () => {
      const request = await loginRequest(this.name, auth);
      const { body } = await this.#http.call(`log in (${what})`, "POST", request.path, null, request.body);
      const a = objectAt(body, "auth");
      const token = str(a?.client_token);
      if (!token) throw new VaultRequestError("log in", 200, "no_token");
      return parentTimes(token, num(a?.lease_duration), a?.renewable === true);
    })();
    return this.#hold(login);
  }

  /** Makes `next` the parent token every caller waits for; a failure is not kept. */
  #hold(next: Promise<ParentToken>): Promise<ParentToken> {
    this.#parent = next;
    next.catch(() => {
      if (this.#parent === next) this.#parent = null;
    });
    return next;
  }

  /** Whether `child` is still a valid token (`lookup-self`, which Vault's default policy allows). */
  async #tokenAlive(child: SessionToken): Promise<boolean> {
    try {
      await this.#http.call(
        "look up the session token",
        "GET",
        "auth/token/lookup-self",
        child.token,
        undefined,
        IDEMPOTENT,
      );
      return true;
    } catch (err) {
      return !(err instanceof VaultRequestError && err.status === 403);
    }
  }
}

/** Requests that may run twice (reads, lookups, renewals, revocations): retried on more failures. */
const IDEMPOTENT = { idempotent: true } as const;

/** Renew (or log in again) at two thirds of the token's life; 0 means it does not expire. */
function parentTimes(token: string, seconds: number, renewable: boolean): ParentToken {
  const now = Date.now();
  return {
    token,
    renewAt: seconds > 0 ? now + (seconds * 1000 * 2) / 3 : Number.POSITIVE_INFINITY,
    expiresAt: seconds > 0 ? now + seconds * 1000 : Number.POSITIVE_INFINITY,
    renewable: renewable && seconds > 0,
    ttlSeconds: seconds,
  };
}

function str(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0;
}
