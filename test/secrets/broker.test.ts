// The broker with real providers and a real SQLite ledger: lifetimes, caching, revocation at session end,
// orphan recovery after a crash, and no secret value in any record.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Ledger, LedgerRecord } from "../../src/ledger/index.js";
import {
  EnvProvider,
  PostgresProvider,
  SecretBroker,
  type SecretBrokerOptions,
  SecretRedactor,
  type SecretSpec,
  VaultProvider,
} from "../../src/secrets/index.js";
import { admin, PG_BASE, pgAvailable } from "../ledger/pg.js";
import { FakeVault } from "./fake-vault.js";
import { allRecords, assertNoSecret, session, sqliteLedger } from "./helpers.js";

const ENV_VALUE = `env-secret-${randomBytes(8).toString("hex")}`;
const KV_VALUE = `kv-secret-${randomBytes(8).toString("hex")}`;

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!().catch(() => undefined);
});

const envSpec: SecretSpec = {
  name: "stripe",
  provider: "env",
  tools: ["billing_*"],
  maxTtlMs: 60_000,
  inject: { env: "API_TOKEN" },
  variable: "K",
};

function envBroker(ledger: Ledger, extra: Partial<SecretBrokerOptions> = {}) {
  const broker = new SecretBroker({
    secrets: [envSpec],
    providers: [new EnvProvider({ env: { K: ENV_VALUE } })],
    record: (input) => ledger.append(input),
    ...extra,
  });
  closers.push(() => broker.close());
  return broker;
}

const ofKind = (records: LedgerRecord[], kind: string) => records.filter((r) => r.kind === kind);

describe("SecretBroker lifetimes", () => {
  it("caps the TTL by maxTtlMs and by the session deadline, and caches per session and secret", async () => {
    const { ledger } = await sqliteLedger();
    const broker = envBroker(ledger);
    const long = session(3_600_000);
    const [a] = await broker.leaseFor(long, "billing_charge");
    expect(a!.ttlMs).toBe(60_000);
    const [again] = await broker.leaseFor(long, "billing_refund");
    expect(again).toBe(a);
    const short = session(10_000);
    const [b] = await broker.leaseFor(short, "billing_charge");
    expect(b!.ttlMs).toBeLessThanOrEqual(10_000);
    expect(b!.ttlMs).toBeGreaterThan(9_000);
    expect(b!.expiresAt.getTime()).toBeLessThanOrEqual(short.deadline.getTime());
    expect(await broker.leaseFor(long, "send_email")).toEqual([]);
    expect(broker.secretsFor("billing_x")).toEqual(["stripe"]);
    const leases = ofKind(await allRecords(ledger), "secret.lease");
    expect(leases).toHaveLength(2);
    expect(leases[0]).toMatchObject({
      session: long.id,
      agent: "support-bot",
      data: {
        leaseId: a!.id,
        provider: "env",
        name: "stripe",
        tool: "billing_charge",
        ttlMs: 60_000,
        renewable: false,
      },
    });
  });

  it("replaces a lease near its expiry and records the old one's revocation", async () => {
    const { ledger } = await sqliteLedger();
    let now = Date.now();
    const broker = new SecretBroker({
      secrets: [{ ...envSpec, maxTtlMs: 40 }],
      providers: [new EnvProvider({ env: { K: ENV_VALUE } })],
      record: (input) => ledger.append(input),
      refreshMarginMs: 0,
      clock: () => new Date(now),
    });
    closers.push(() => broker.close());
    const s = session();
    const [first] = await broker.leaseFor(s, "billing_a");
    now += 39;
    const [same] = await broker.leaseFor(s, "billing_a");
    expect(same!.id).toBe(first!.id);
    now += 21;
    const [second] = await broker.leaseFor(s, "billing_a");
    expect(second!.id).not.toBe(first!.id);
    const revokes = ofKind(await allRecords(ledger), "secret.revoke");
    expect(revokes.map((r) => [r.data.leaseId, r.data.reason, r.data.status])).toEqual([
      [first!.id, "expired", "revoked"],
    ]);
  });

  it("refuses a session past its deadline, a bad session, and a session that ended", async () => {
    const { ledger } = await sqliteLedger();
    const broker = envBroker(ledger);
    await expect(broker.leaseFor(session(-1), "billing_a")).rejects.toMatchObject({
      code: "SECRET_UNAVAILABLE",
    });
    await expect(
      broker.leaseFor({ ...session(), deadline: new Date(Number.NaN) }, "billing_a"),
    ).rejects.toMatchObject({ code: "INVALID_REQUEST" });
    const s = session();
    await broker.leaseFor(s, "billing_a");
    await broker.endSession(s.id);
    await expect(broker.leaseFor(s, "billing_a")).rejects.toMatchObject({ code: "SESSION_ENDED" });
  });

  it("shares one lease between concurrent calls, and revokes one still in flight when the session ends", async () => {
    const { ledger } = await sqliteLedger();
    const env = new EnvProvider({ env: { K: ENV_VALUE } });
    let gate: () => void = () => undefined;
    let entered = 0;
    const slow = {
      name: "env",
      lease: async (...args: Parameters<EnvProvider["lease"]>) => {
        entered++;
        await new Promise<void>((r) => {
          gate = r;
        });
        return env.lease(...args);
      },
      revoke: (l: Parameters<EnvProvider["revoke"]>[0]) => env.revoke(l),
      close: () => env.close(),
    };
    const broker = new SecretBroker({
      secrets: [envSpec],
      providers: [slow],
      record: (i) => ledger.append(i),
    });
    closers.push(() => broker.close());
    const s = session();
    const one = broker.leaseFor(s, "billing_a");
    const two = broker.leaseFor(s, "billing_b");
    await vi.waitFor(() => expect(entered).toBe(1)); // one provider lease for both, now in flight
    gate();
    const [[a], [b]] = await Promise.all([one, two]);
    expect(a).toBe(b);
    expect(ofKind(await allRecords(ledger), "secret.lease")).toHaveLength(1);

    const late = session();
    const inFlight = broker.leaseFor(late, "billing_a");
    await vi.waitFor(() => expect(entered).toBe(2));
    const ending = broker.endSession(late.id);
    gate();
    await expect(inFlight).rejects.toMatchObject({ code: "SESSION_ENDED" });
    await ending;
    const records = (await allRecords(ledger)).filter((r) => r.session === late.id);
    expect(records.map((r) => r.kind)).toEqual(["secret.lease", "secret.revoke"]);
  });

  it("refuses bad configuration with INVALID_REQUEST", () => {
    const base = { providers: [new EnvProvider()], record: async () => undefined };
    for (const secrets of [
      [{ ...envSpec, provider: "nope" }],
      [{ ...envSpec, tools: ["bad glob!"] }],
      [{ ...envSpec, maxTtlMs: 0 }],
      [envSpec, envSpec],
      [{ ...envSpec, name: "has space" }],
    ]) {
      expect(() => new SecretBroker({ ...base, secrets })).toThrow(
        expect.objectContaining({ code: "INVALID_REQUEST" }),
      );
    }
  });

  it("revokes the lease and fails with LEDGER_UNAVAILABLE when the lease cannot be recorded", async () => {
    const vault = await FakeVault.start({
      roles: { "database/ro": { defaultTtlSeconds: 600, maxTtlSeconds: 600 } },
    });
    closers.push(() => vault.close());
    const broker = new SecretBroker({
      secrets: [
        {
          name: "db",
          provider: "vault",
          tools: ["*"],
          maxTtlMs: 60_000,
          inject: { context: "db" },
          creds: { mount: "database", role: "ro" },
        },
      ],
      providers: [new VaultProvider({ address: vault.address, auth: { token: vault.rootToken } })],
      record: async () => {
        throw new Error("disk full");
      },
    });
    closers.push(() => broker.close());
    await expect(broker.leaseFor(session(), "query")).rejects.toMatchObject({ code: "LEDGER_UNAVAILABLE" });
    const created = vault.requests.filter((r) => /\/creds\//.test(r.path));
    expect(created).toHaveLength(1);
    const revoke = vault.requests.find((r) => r.path === "/v1/sys/leases/revoke");
    expect(revoke).toBeDefined();
    expect(vault.leaseState(String(revoke!.body!.lease_id))?.live).toBe(false);
  });

  it("registers every value with the redactor and forgets them at session end", async () => {
    const { ledger } = await sqliteLedger();
    const redactor = new SecretRedactor();
    const broker = envBroker(ledger, { redactor });
    const s = session();
    await broker.leaseFor(s, "billing_a");
    expect(redactor.redact({ out: `key=${ENV_VALUE}` }, s.id)).toEqual({ out: "key=[secret:stripe]" });
    await broker.endSession(s.id);
    expect(redactor.size(s.id)).toBe(0);
  });
});

describe.skipIf(!pgAvailable)("SecretBroker with Vault and PostgreSQL", () => {
  async function world() {
    const vault = await FakeVault.start({
      kv: { "secret/app": { token: KV_VALUE } },
      roles: { "database/ro": { defaultTtlSeconds: 3600, maxTtlSeconds: 7200 } },
    });
    closers.push(() => vault.close());
    const tag = randomBytes(4).toString("hex");
    const group = `wt_group_${tag}`;
    const prefix = `wt${tag}_`;
    await admin((c) => c.query(`CREATE ROLE "${group}" NOLOGIN`));
    closers.push(() =>
      admin(async (c) => {
        const left = await c.query<{ rolname: string }>(
          "SELECT rolname FROM pg_roles WHERE rolname LIKE $1",
          [`${prefix}%`],
        );
        for (const r of left.rows) await c.query(`DROP ROLE "${r.rolname}"`);
        await c.query(`DROP ROLE IF EXISTS "${group}"`);
      }),
    );
    const secrets: SecretSpec[] = [
      envSpec,
      {
        name: "kv",
        provider: "vault",
        tools: ["billing_*", "sql_*"],
        maxTtlMs: 600_000,
        inject: { context: "secret" },
        kv: { mount: "secret", path: "app", field: "token" },
      },
      {
        name: "vdb",
        provider: "vault",
        tools: ["sql_*"],
        maxTtlMs: 600_000,
        inject: { context: "secret" },
        creds: { mount: "database", role: "ro" },
      },
      { name: "pgdb", provider: "postgres", tools: ["sql_*"], maxTtlMs: 600_000, inject: { context: "db" } },
    ];
    const providers = () => [
      new EnvProvider({ env: { K: ENV_VALUE } }),
      new VaultProvider({ address: vault.address, auth: { token: vault.rootToken } }),
      new PostgresProvider({ adminUrl: PG_BASE, group, rolePrefix: prefix }),
    ];
    return { vault, secrets, providers, prefix };
  }

  async function roleExists(role: string): Promise<boolean> {
    return (await admin((c) => c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]))).rowCount === 1;
  }

  async function startSession(ledger: Ledger, s: { id: string; agent: string; onBehalfOf: string }) {
    await ledger.append({
      kind: "session.start",
      session: s.id,
      agent: s.agent,
      callId: null,
      data: { onBehalfOf: s.onBehalfOf, intent: "test", parent: null },
    });
  }

  it("endSession revokes every lease of the session; no record holds a value", async () => {
    const { vault, secrets, providers } = await world();
    const { ledger } = await sqliteLedger();
    const broker = new SecretBroker({ secrets, providers: providers(), record: (i) => ledger.append(i) });
    closers.push(() => broker.close());
    const s = session();
    const other = session();
    const leases = await broker.leaseFor(s, "sql_query");
    const kept = await broker.leaseFor(other, "sql_query");
    expect(leases.map((l) => l.name).sort()).toEqual(["kv", "pgdb", "vdb"]);
    const byName = Object.fromEntries(leases.map((l) => [l.name, l]));
    expect(vault.credsValid(byName.vdb!.username!, byName.vdb!.secret)).toBe(true);
    expect(await roleExists(byName.pgdb!.username!)).toBe(true);

    const report = await broker.endSession(s.id);
    expect(report).toEqual({ revoked: 3, failed: [] });
    expect(vault.credsValid(byName.vdb!.username!, byName.vdb!.secret)).toBe(false);
    expect(await roleExists(byName.pgdb!.username!)).toBe(false);
    // The other session is untouched.
    const keptDb = kept.find((l) => l.name === "vdb")!;
    expect(vault.credsValid(keptDb.username!, keptDb.secret)).toBe(true);
    expect(await roleExists(kept.find((l) => l.name === "pgdb")!.username!)).toBe(true);

    const records = await allRecords(ledger);
    const revokes = ofKind(records, "secret.revoke").filter((r) => r.session === s.id);
    expect(revokes.map((r) => [r.data.name, r.data.reason, r.data.status]).sort()).toEqual([
      ["kv", "session-end", "revoked"],
      ["pgdb", "session-end", "revoked"],
      ["vdb", "session-end", "revoked"],
    ]);
    for (const lease of [...leases, ...kept]) assertNoSecret(records, lease.secret);
    assertNoSecret(records, vault.rootToken);
  });

  it("recovers orphans after a crash: ended sessions at once, a dead process's sessions too", async () => {
    const { vault, secrets, providers } = await world();
    const { ledger, path } = await sqliteLedger();
    // The "crashed" broker claims a real process of its own, which we kill later.
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    closers.push(async () => child.kill("SIGKILL"));
    const crashed = new SecretBroker({
      secrets,
      providers: providers(),
      record: (i) => ledger.append(i),
      instance: { id: "crashed-instance", host: (await import("node:os")).hostname(), pid: child.pid! },
    });
    const ended = session();
    const running = session();
    await startSession(ledger, ended);
    await startSession(ledger, running);
    const endedLeases = await crashed.leaseFor(ended, "sql_query");
    const runningLeases = await crashed.leaseFor(running, "sql_query");
    await ledger.append({
      kind: "session.end",
      session: ended.id,
      agent: ended.agent,
      callId: null,
      data: { reason: "done" },
    });
    // Crash: nothing revoked; the ledger file is all that is left.
    await ledger.close();

    const { ledger: reopened } = await sqliteLedger(path);
    const fresh = new SecretBroker({ secrets, providers: providers(), record: (i) => reopened.append(i) });
    closers.push(() => fresh.close());
    const first = await fresh.recoverOrphans(reopened.store);
    expect(first).toMatchObject({ open: 6, revoked: 3, failed: [], live: 3 });
    const dead = (ls: typeof endedLeases, name: string) => ls.find((l) => l.name === name)!;
    expect(vault.credsValid(dead(endedLeases, "vdb").username!, dead(endedLeases, "vdb").secret)).toBe(false);
    expect(await roleExists(dead(endedLeases, "pgdb").username!)).toBe(false);
    expect(vault.credsValid(dead(runningLeases, "vdb").username!, dead(runningLeases, "vdb").secret)).toBe(
      true,
    );
    expect(vault.liveTokens()).toBe(1);

    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const second = await fresh.recoverOrphans(reopened.store);
    expect(second).toMatchObject({ open: 3, revoked: 3, failed: [], live: 0 });
    expect(vault.credsValid(dead(runningLeases, "vdb").username!, dead(runningLeases, "vdb").secret)).toBe(
      false,
    );
    expect(await roleExists(dead(runningLeases, "pgdb").username!)).toBe(false);
    expect(vault.liveTokens()).toBe(0);
    expect(await fresh.recoverOrphans(reopened.store)).toMatchObject({ open: 0, revoked: 0 });

    const records = await allRecords(reopened);
    const orphanRevokes = ofKind(records, "secret.revoke").filter((r) => r.data.reason === "orphan");
    expect(orphanRevokes).toHaveLength(6);
    expect(orphanRevokes.every((r) => r.data.status === "revoked" && r.data.by === fresh.instance.id)).toBe(
      true,
    );
    for (const lease of [...endedLeases, ...runningLeases]) assertNoSecret(records, lease.secret);
    await Promise.allSettled([crashed.close()]);
  });

  it("a handed-out PostgreSQL credential works until endSession, then fails to authenticate", async () => {
    const { secrets, providers } = await world();
    const { ledger } = await sqliteLedger();
    const broker = new SecretBroker({ secrets, providers: providers(), record: (i) => ledger.append(i) });
    closers.push(() => broker.close());
    const s = session();
    const lease = (await broker.leaseFor(s, "sql_query")).find((l) => l.name === "pgdb")!;
    const url = new URL(PG_BASE);
    url.username = lease.username!;
    url.password = lease.secret;
    const ok = new pg.Client({ connectionString: url.toString() });
    await ok.connect();
    expect((await ok.query("SELECT current_user AS u")).rows[0].u).toBe(lease.username);
    await ok.end();
    await broker.endSession(s.id);
    const denied = new pg.Client({ connectionString: url.toString() });
    denied.on("error", () => undefined);
    const err = await denied.connect().then(
      () => null,
      (e: unknown) => e,
    );
    await denied.end().catch(() => undefined);
    expect(["28000", "28P01"]).toContain((err as { code?: string } | null)?.code);
  });
});
