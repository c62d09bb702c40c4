// The postgres provider for real: a login role per lease, member of the group only, gone (and its connections cut) after revocation.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { PostgresProvider, type SecretSpec } from "../../src/secrets/index.js";
import { scramVerifier } from "../../src/secrets/providers/scram.js";
import { admin, afterTest, PG_BASE, pgAvailable, terminateWhenBlocked } from "../ledger/pg.js";
import { session } from "./helpers.js";

const spec: SecretSpec = {
  name: "app-db",
  provider: "postgres",
  tools: ["sql_*"],
  maxTtlMs: 600_000,
  inject: { context: "db" },
};

/** A fresh group role and role prefix, both dropped (with any role left behind) after the test. */
async function setup(adminUrl = PG_BASE) {
  const tag = randomBytes(4).toString("hex");
  const group = `wt_group_${tag}`;
  const prefix = `wt${tag}_`;
  await admin((c) => c.query(`CREATE ROLE "${group}" NOLOGIN`));
  const provider = new PostgresProvider({ adminUrl, group, rolePrefix: prefix });
  afterTest(async () => {
    await provider.close().catch(() => undefined);
    await admin(async (c) => {
      const left = await c.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname LIKE $1", [
        `${prefix}%`,
      ]);
      for (const r of left.rows) await c.query(`DROP ROLE "${r.rolname}"`);
      await c.query(`DROP ROLE IF EXISTS "${group}"`);
    });
  });
  return { provider, group, prefix };
}

async function connectAs(user: string, password: string, database?: string): Promise<pg.Client> {
  const url = new URL(PG_BASE);
  url.username = user;
  url.password = password;
  if (database !== undefined) url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 3000 });
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

describe.skipIf(!pgAvailable)("PostgresProvider", () => {
  it("creates a login role that can connect, is its own current_user, and belongs to the group only", async () => {
    const { provider, group, prefix } = await setup();
    const s = session(600_000);
    const lease = await provider.lease(spec, s, 300_000);
    expect(lease.username).toMatch(new RegExp(`^${prefix}[0-9a-f]{24}$`));
    expect(lease.revokeHandle).toEqual({ type: "postgres-role", role: lease.username });
    const client = await connectAs(lease.username!, lease.secret);
    try {
      const me = await client.query<{ current_user: string }>("SELECT current_user");
      expect(me.rows[0]!.current_user).toBe(lease.username);
    } finally {
      await client.end();
    }
    await admin(async (c) => {
      const role = await c.query(
        `SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin, rolvaliduntil, rolpassword
           FROM pg_authid WHERE rolname = $1`,
        [lease.username],
      );
      const r = role.rows[0];
      expect(r).toMatchObject({
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
        rolreplication: false,
        rolbypassrls: false,
        rolcanlogin: true,
      });
      // VALID UNTIL is the lease's expiry, within the second.
      expect(Math.abs(new Date(r.rolvaliduntil).getTime() - lease.expiresAt.getTime())).toBeLessThan(1000);
      // The server holds a SCRAM verifier of the password, never the password.
      const [, iterations, salt] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(r.rolpassword) ?? [];
      expect(r.rolpassword).toBe(
        scramVerifier(lease.secret, Buffer.from(salt!, "base64"), Number(iterations)),
      );
      expect(r.rolpassword).not.toContain(lease.secret);
      const groups = await c.query(
        "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = $1",
        [lease.username],
      );
      expect(groups.rows.map((x) => x.rolname)).toEqual([group]);
    });
  });

  it("after endSession the credential no longer logs in, and open connections are cut", async () => {
    const { provider } = await setup();
    const s = session(600_000);
    const a = await provider.lease(spec, s, 300_000);
    const b = await provider.lease({ ...spec, name: "other-db" }, s, 300_000);
    const open = await connectAs(a.username!, a.secret);
    const cut = new Promise<unknown>((resolve) => open.on("error", resolve));
    await provider.endSession(s.id);
    expect(await cut).toMatchObject({ code: "57P01" }); // admin_shutdown: terminated by pg_terminate_backend
    await open.end().catch(() => undefined);
    for (const lease of [a, b]) {
      const err = await connectAs(lease.username!, lease.secret).then(
        async (c) => {
          await c.end();
          return null;
        },
        (e: unknown) => e,
      );
      // 28000: invalid authorization (the role does not exist); 28P01: password authentication failed.
      expect(["28000", "28P01"]).toContain((err as { code?: string } | null)?.code);
    }
    const left = await admin((c) =>
      c.query("SELECT 1 FROM pg_roles WHERE rolname = ANY($1)", [[a.username, b.username]]),
    );
    expect(left.rowCount).toBe(0);
  });

  it("sweeps its expired roles that no record names (a crash between creating a role and recording it)", async () => {
    const { provider, prefix } = await setup();
    const orphan = `${prefix}${randomBytes(12).toString("hex")}`;
    const other = `${prefix.replace(/_$/, "")}x${randomBytes(4).toString("hex")}`;
    await admin(async (c) => {
      await c.query(`CREATE ROLE "${orphan}" LOGIN VALID UNTIL '2020-01-01T00:00:00Z'`);
      // Not ours: the prefix's underscore is not a wildcard.
      await c.query(`CREATE ROLE "${other}" LOGIN VALID UNTIL '2020-01-01T00:00:00Z'`);
    });
    const live = await provider.lease(spec, session(), 60_000);
    expect(await provider.sweepExpired(new Date())).toBe(1);
    const left = await admin((c) =>
      c.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname = ANY($1)", [
        [orphan, other, live.username],
      ]),
    );
    expect(left.rows.map((r) => r.rolname).sort()).toEqual([other, live.username].sort());
    await admin((c) => c.query(`DROP ROLE "${other}"`));
  });

  it("revoke drops a role that left objects behind, in its database and in another one it could reach", async () => {
    const { provider } = await setup();
    const lease = await provider.lease(spec, session(), 60_000);
    const here = await connectAs(lease.username!, lease.secret);
    await here.query("SELECT lo_create(0)");
    await here.end();
    // Any role may connect to `postgres` (CONNECT is granted to PUBLIC) and create a large object there.
    const there = await connectAs(lease.username!, lease.secret, "postgres");
    await there.query("SELECT lo_create(0)");
    await there.end();
    await provider.revoke({
      id: lease.id,
      provider: "postgres",
      name: lease.name,
      revokeHandle: lease.revokeHandle,
    });
    const exists = await admin((c) => c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [lease.username]));
    expect(exists.rowCount).toBe(0);
  });

  it("revoke from a recorded handle drops the role; revoking again succeeds; foreign names are refused", async () => {
    const { provider, prefix } = await setup();
    const lease = await provider.lease(spec, session(), 60_000);
    const handle = { id: lease.id, provider: "postgres", name: lease.name, revokeHandle: lease.revokeHandle };
    await provider.revoke(handle);
    await provider.revoke(handle);
    const exists = await admin((c) => c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [lease.username]));
    expect(exists.rowCount).toBe(0);
    for (const role of ["postgres", `${prefix}x"; DROP ROLE postgres; --`, 42]) {
      await expect(
        provider.revoke({ ...handle, revokeHandle: { type: "postgres-role", role } }),
      ).rejects.toMatchObject({
        code: "SECRET_PROVIDER_FAILED",
      });
    }
  });

  it("a connection cut in the middle of a revocation fails that revocation, not the process; revoking again works", async () => {
    const applicationName = `wt-secrets-${randomBytes(4).toString("hex")}`;
    const url = new URL(PG_BASE);
    url.searchParams.set("application_name", applicationName);
    const { provider } = await setup(url.toString());
    const lease = await provider.lease(spec, session(), 60_000);
    const handle = { id: lease.id, provider: "postgres", name: lease.name, revokeHandle: lease.revokeHandle };
    const table = `wt_owned_${randomBytes(4).toString("hex")}`;
    await admin((c) =>
      c.query(`CREATE TABLE "${table}" (); ALTER TABLE "${table}" OWNER TO "${lease.username}"`),
    );
    afterTest(() => admin((c) => c.query(`DROP TABLE IF EXISTS "${table}"`)).then(() => undefined));
    const cut = await admin(async (c) => {
      // The provider's DROP OWNED waits, inside its transaction, for this lock on a table the role owns.
      await c.query("BEGIN");
      await c.query(`LOCK TABLE "${table}" IN ACCESS EXCLUSIVE MODE`);
      const revoking = provider.revoke(handle).then(
        () => null,
        (e: unknown) => e,
      );
      await terminateWhenBlocked(applicationName);
      const failed = await revoking;
      await c.query("ROLLBACK");
      return failed;
    });
    expect(cut).toMatchObject({ code: "SECRET_PROVIDER_FAILED" });
    await provider.revoke(handle);
    const exists = await admin((c) => c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [lease.username]));
    expect(exists.rowCount).toBe(0);
  });

  it("fails with SECRET_PROVIDER_FAILED (a SQLSTATE, no statement) when the group does not exist", async () => {
    const provider = new PostgresProvider({
      adminUrl: PG_BASE,
      group: `wt_missing_${randomBytes(3).toString("hex")}`,
    });
    afterTest(() => provider.close());
    const err = (await provider.lease(spec, session(), 60_000).catch((e: unknown) => e)) as Error & {
      code: string;
    };
    expect(err.code).toBe("SECRET_PROVIDER_FAILED");
    expect(err.message).not.toMatch(/SCRAM|PASSWORD/);
  });
});
