// The `postgres` provider: a login role per session and secret, member of one configured group, dropped at the end.
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { SecretSpec } from "../config.js";
import { SecretError } from "../errors.js";
import type { Lease, RevokeTarget, SecretProvider, SecretSession } from "../types.js";
import { scramVerifier } from "./scram.js";

export interface PostgresProviderOptions {
  /** Provider name secret specs refer to (default "postgres"). */
  name?: string;
  /** Connection string of a role with CREATEROLE (and ADMIN on `group`); never recorded. */
  adminUrl: string;
  /** The group role the session roles join: it carries every privilege they get. */
  group: string;
  /** Prefix of created role names (default `warden_`): letters, digits and `_`. */
  rolePrefix?: string;
  /** Admin pool size (default 2). */
  maxConnections?: number;
}

/** Role names this provider creates and drops; nothing else is ever dropped. */
const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Each lease is a new role: `CREATE ROLE "warden_<hex>" LOGIN PASSWORD '<SCRAM verifier>' VALID UNTIL
 * '<expiry>' IN ROLE "<group>"`, with no other attribute or privilege. The lease's `username` is the
 * role, `secret` its random password. Revoking locks the role (`NOLOGIN`), ends its connections
 * (`pg_terminate_backend`), drops what it owns (in every database it left something in), and drops it.
 *
 * The password goes to the server only as a SCRAM-SHA-256 verifier, so statement logs never hold it.
 *
 * @example
 * const pgRoles = new PostgresProvider({ adminUrl: "postgres://warden_admin@db/app", group: "agent_readers" });
 * const lease = await pgRoles.lease(
 *   { name: "app-db", provider: "postgres", tools: ["sql_*"], maxTtlMs: 900_000 },
 *   { id: "ses_1", agent: "bot", onBehalfOf: "alice@example.com", deadline: new Date(Date.now() + 3_600_000) },
 *   900_000,
 * );
 * // connect as lease.username with lease.secret; then
 * await pgRoles.revoke(lease);
 */
export class PostgresProvider implements SecretProvider {
  readonly name: string;
  readonly #pool: pg.Pool;
  readonly #adminUrl: string;
  readonly #group: string;
  readonly #prefix: string;
  readonly #bySession = new Map<string, Set<string>>();

  constructor(options: PostgresProviderOptions) {
    this.name = options.name ?? "postgres";
    const prefix = options.rolePrefix ?? "warden_";
    if (!/^[a-z_][a-z0-9_]{0,30}$/.test(prefix)) {
      throw new SecretError("SECRET_PROVIDER_FAILED", `postgres provider ${this.name}: invalid role prefix`);
    }
    if (!options.group || options.group.length > 63 || options.group.includes("\0")) {
      throw new SecretError("SECRET_PROVIDER_FAILED", `postgres provider ${this.name}: invalid group role`);
    }
    this.#prefix = prefix;
    this.#adminUrl = options.adminUrl;
    this.#group = options.group;
    this.#pool = new pg.Pool({ connectionString: options.adminUrl, max: options.maxConnections ?? 2 });
    // An idle admin connection dying must not crash the process; the next query reconnects.
    this.#pool.on("error", () => undefined);
    // Nor one cut while checked out (between the statements of a lease or a revocation): that call fails.
    this.#pool.on("connect", (client) => client.on("error", () => undefined));
  }

  async lease(spec: SecretSpec, session: SecretSession, ttlMs: number): Promise<Lease> {
    const role = `${this.#prefix}${randomBytes(12).toString("hex")}`;
    const password = randomBytes(24).toString("base64url");
    const expiresAt = new Date(Date.now() + ttlMs);
    const sql =
      `CREATE ROLE ${pg.escapeIdentifier(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT ` +
      `PASSWORD ${pg.escapeLiteral(scramVerifier(password))} VALID UNTIL ${pg.escapeLiteral(expiresAt.toISOString())} ` +
      `IN ROLE ${pg.escapeIdentifier(this.#group)}`;
    await this.#run(`create a role for ${spec.name}`, async (client) => {
      await client.query(sql);
    });
    const roles = this.#bySession.get(session.id) ?? new Set<string>();
    this.#bySession.set(session.id, roles);
    roles.add(role);
    return {
      id: `${this.name}:${role}`,
      secret: password,
      username: role,
      provider: this.name,
      name: spec.name,
      ttlMs,
      expiresAt,
      renewable: false,
      revokeHandle: { type: "postgres-role", role },
    };
  }

  async revoke(lease: RevokeTarget): Promise<void> {
    const role = lease.revokeHandle.role;
    if (typeof role !== "string" || !ROLE_NAME.test(role) || !role.startsWith(this.#prefix)) {
      throw new SecretError(
        "SECRET_PROVIDER_FAILED",
        `secret ${lease.name}: the revoke handle names no role of ours`,
      );
    }
    await this.#dropRole(role);
    for (const roles of this.#bySession.values()) roles.delete(role);
  }

  async endSession(sessionId: string): Promise<void> {
    const roles = this.#bySession.get(sessionId);
    if (!roles) return;
    for (const role of [...roles]) await this.#dropRole(role);
    this.#bySession.delete(sessionId);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  /**
   * Drops this provider's roles (by prefix) past their VALID UNTIL. The role is created before its lease
   * is recorded (there is nothing to record until it exists), so a crash in between leaves a role no
   * record names; nobody holds its password, and once expired it is swept here at the next recovery.
   */
  async sweepExpired(now: Date): Promise<number> {
    let roles: string[] = [];
    await this.#run("list expired roles", async (client) => {
      // Not LIKE: `_` in the prefix is a LIKE wildcard.
      const found = await client.query<{ rolname: string }>(
        "SELECT rolname FROM pg_roles WHERE left(rolname, length($1)) = $1 AND rolvaliduntil < $2",
        [this.#prefix, now.toISOString()],
      );
      roles = found.rows.map((r) => r.rolname).filter((r) => ROLE_NAME.test(r));
    });
    for (const role of roles) await this.#dropRole(role);
    return roles.length;
  }

  async #dropRole(role: string): Promise<void> {
    const id = pg.escapeIdentifier(role);
    await this.#run("drop a role", async (client) => {
      const exists = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]);
      if (exists.rowCount === 0) return;
      // Lock first so a connection cannot sneak in between terminating and dropping.
      await client.query(`ALTER ROLE ${id} NOLOGIN`);
      await client.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", [role]);
      // A role may connect to any database PUBLIC may (`postgres` by default) and leave a large object or
      // a table there, which DROP ROLE refuses to orphan: drop those in their own database first.
      const elsewhere = await client.query<{ datname: string }>(
        `SELECT DISTINCT d.datname FROM pg_shdepend s JOIN pg_database d ON d.oid = s.dbid
         WHERE s.refobjid = (SELECT oid FROM pg_roles WHERE rolname = $1) AND d.datname <> current_database()`,
        [role],
      );
      for (const { datname } of elsewhere.rows) await this.#dropOwnedIn(datname, id);
      await client.query("BEGIN");
      try {
        await client.query(`DROP OWNED BY ${id}`);
        await client.query(`DROP ROLE ${id}`);
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw err;
      }
    });
  }

  /** DROP OWNED BY `id` in database `datname`, over a connection of its own made with the admin URL. */
  async #dropOwnedIn(datname: string, id: string): Promise<void> {
    const url = new URL(this.#adminUrl);
    url.pathname = `/${encodeURIComponent(datname)}`;
    const other = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 10_000 });
    other.on("error", () => undefined);
    await other.connect();
    try {
      await other.query(`DROP OWNED BY ${id}`);
    } finally {
      await other.end().catch(() => undefined);
    }
  }

  async #run(what: string, fn: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      throw failed(this.name, what, err);
    }
    try {
      await fn(client);
    } catch (err) {
      throw failed(this.name, what, err);
    } finally {
      client.release();
    }
  }
}

/** The SQLSTATE or errno code only: PostgreSQL messages can quote the statement, and with it a verifier. */
function failed(provider: string, what: string, err: unknown): SecretError {
  const code = (err as { code?: unknown }).code;
  const safe = typeof code === "string" && /^[A-Z0-9_]{2,40}$/.test(code) ? code : "error";
  return new SecretError(
    "SECRET_PROVIDER_FAILED",
    `postgres provider ${provider}: could not ${what} (${safe})`,
    {
      error: safe,
    },
  );
}
