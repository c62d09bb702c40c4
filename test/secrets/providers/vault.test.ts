// The vault provider against the in-repo fake Vault (test/secrets/fake-vault.ts): child tokens, KV v2, dynamic creds, renew, revoke.
import { afterEach, describe, expect, it, vi } from "vitest";
import { type SecretSpec, secretsSchema, VaultProvider } from "../../../src/secrets/index.js";
import { FakeVault, type FakeVaultOptions } from "../fake-vault.js";
import { credsSpec, kvSpec, session } from "../helpers.js";

const KV_VALUE = "kv-s3cret-value-0001";
const OPTIONS: FakeVaultOptions = {
  kv: { "secret/app/stripe": { api_key: KV_VALUE, other: 5 } },
  roles: { "database/readonly": { defaultTtlSeconds: 3600, maxTtlSeconds: 7200 } },
  approles: { "role-123": { secretId: "secret-456", policies: ["warden"], tokenTtlSeconds: 3600 } },
  policies: {
    warden: [
      "auth/token/create",
      "auth/token/revoke-accessor",
      "sys/leases/renew",
      "sys/leases/revoke",
      "secret/data/*",
      "database/creds/*",
    ],
  },
};

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function setup(options: FakeVaultOptions = OPTIONS, approle = false) {
  const vault = await FakeVault.start(options);
  closers.push(() => vault.close());
  const provider = new VaultProvider({
    address: vault.address,
    ...(options.namespace ? { namespace: options.namespace } : {}),
    auth: approle ? { approle: { roleId: "role-123", secretId: "secret-456" } } : { token: vault.rootToken },
    timeoutMs: 2000,
  });
  closers.push(() => provider.close());
  return { vault, provider };
}

describe("VaultProvider", () => {
  it("reads a KV v2 field through a per-session child token whose TTL is the session's", async () => {
    const { vault, provider } = await setup();
    const s = session(120_000);
    const lease = await provider.lease(kvSpec, s, 60_000);
    expect(lease.secret).toBe(KV_VALUE);
    expect(lease).toMatchObject({ provider: "vault", name: "stripe", ttlMs: 60_000, renewable: false });
    expect(lease.revokeHandle).toMatchObject({ type: "vault", leaseId: null });
    const create = vault.requests.find((r) => r.path === "/v1/auth/token/create")!;
    expect(create.body).toMatchObject({ ttl: "120s", no_parent: false });
    const read = vault.requests.find((r) => r.path === "/v1/secret/data/app/stripe")!;
    expect(read.withToken).toBe(true);
    // One child token per session, reused.
    await provider.lease(kvSpec, s, 60_000);
    expect(vault.requests.filter((r) => r.path === "/v1/auth/token/create")).toHaveLength(1);
    expect(vault.liveTokens()).toBe(1);
  });

  it("leases dynamic credentials, shortens them to the TTL asked, renews within the role's max", async () => {
    const { vault, provider } = await setup();
    const lease = await provider.lease(credsSpec, session(3 * 3_600_000), 600_000);
    expect(lease.username).toMatch(/^v-token-readonly-/);
    expect(lease.ttlMs).toBe(600_000);
    expect(lease.renewable).toBe(true);
    expect(vault.leaseState(lease.id)).toEqual({ live: true, ttlSeconds: 600 });
    expect(vault.credsValid(lease.username!, lease.secret)).toBe(true);
    const renewed = await provider.renew(lease, 900_000);
    expect(renewed.ttlMs).toBe(900_000);
    const long = await provider.renew(renewed, 7_100_000);
    expect(long.ttlMs).toBe(7_100_000);
    vault.advance(7000 * 1000);
    // 200 s before the role's max TTL: Vault caps the renewal.
    const capped = await provider.renew(long, 3_600_000);
    expect(capped.ttlMs).toBeLessThanOrEqual(200_000);
    // Past the child token's life (the session deadline) the lease is gone with it.
    vault.advance(4000 * 1000);
    await expect(provider.renew(capped, 60_000)).rejects.toMatchObject({ code: "SECRET_UNAVAILABLE" });
  });

  it("revokes a lease synchronously, and ending the session revokes the child token and its leases", async () => {
    const { vault, provider } = await setup();
    const s = session();
    const a = await provider.lease(credsSpec, s, 600_000);
    const b = await provider.lease(credsSpec, s, 600_000);
    await provider.revoke(a);
    expect(vault.credsValid(a.username!, a.secret)).toBe(false);
    expect(vault.requests.find((r) => r.path === "/v1/sys/leases/revoke")?.body).toEqual({
      lease_id: a.id,
      sync: true,
    });
    expect(vault.credsValid(b.username!, b.secret)).toBe(true);
    await provider.endSession(s.id);
    expect(vault.requests.some((r) => r.path === "/v1/auth/token/revoke-self")).toBe(true);
    expect(vault.credsValid(b.username!, b.secret)).toBe(false);
    expect(vault.liveTokens()).toBe(0);
    // Revoking again (or revoking what died with the token) succeeds.
    await provider.revoke(b, { final: true });
    await provider.endSession(s.id);
  });

  it("a final revoke from the recorded handle alone kills the child token (crash recovery)", async () => {
    const { vault, provider } = await setup();
    const s = session();
    const kv = await provider.lease(kvSpec, s, 60_000);
    const creds = await provider.lease(credsSpec, s, 60_000);
    const other = new VaultProvider({ address: vault.address, auth: { token: vault.rootToken } });
    await other.revoke(
      { id: kv.id, provider: "vault", name: kv.name, revokeHandle: kv.revokeHandle },
      { final: true },
    );
    expect(vault.liveTokens()).toBe(0);
    expect(vault.credsValid(creds.username!, creds.secret)).toBe(false);
    // The second lease of the same token: its accessor is already invalid, which is fine.
    await other.revoke(
      { id: creds.id, provider: "vault", name: creds.name, revokeHandle: creds.revokeHandle },
      { final: true },
    );
  });

  it("reads a fixed KV v2 version, and names a deleted or destroyed version in the error", async () => {
    const { provider } = await setup({
      ...OPTIONS,
      kvVersions: {
        "secret/app/rotated": [
          { data: { api_key: "old-value-000001" } },
          { data: { api_key: "gone-value-00002" }, deleted: true },
          { data: { api_key: "burnt-value-0003" }, destroyed: true },
          { data: { api_key: "current-value-04" } },
        ],
      },
      policies: { warden: [...OPTIONS.policies!.warden!, "secret/data/*"] },
    });
    const spec = (version?: number): SecretSpec => ({
      ...kvSpec,
      kv: { mount: "secret", path: "app/rotated", field: "api_key", ...(version ? { version } : {}) },
    });
    expect((await provider.lease(spec(), session(), 1000)).secret).toBe("current-value-04");
    expect((await provider.lease(spec(1), session(), 1000)).secret).toBe("old-value-000001");
    for (const [version, cause] of [
      [2, "version_deleted"],
      [3, "version_destroyed"],
      [9, "http_404"],
    ] as const) {
      const err = await provider.lease(spec(version), session(), 1000).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "SECRET_UNAVAILABLE", details: { status: 404, error: cause } });
    }
  });

  it("reads KV v1 (`kvVersion: 1`): no /data/ in the path, the fields straight under data", async () => {
    const { vault, provider } = await setup({
      ...OPTIONS,
      kv1: { kv: { "team/api": { token: "v1-secret-value-01" } } },
      policies: { warden: [...OPTIONS.policies!.warden!, "kv/*"] },
    });
    const spec: SecretSpec = {
      ...kvSpec,
      kv: { mount: "kv", path: "team/api", field: "token", kvVersion: 1 },
    };
    const lease = await provider.lease(spec, session(), 1000);
    expect(lease.secret).toBe("v1-secret-value-01");
    expect(vault.requests.at(-1)).toMatchObject({ method: "GET", path: "/v1/kv/team/api" });
    await expect(
      provider.lease({ ...spec, kv: { ...spec.kv!, path: "team/none" } }, session(), 1000),
    ).rejects.toMatchObject({ code: "SECRET_UNAVAILABLE", details: { status: 404 } });
    const item = { provider: "vault", tools: ["*"], inject: { context: "s" } };
    const kv = { mount: "kv", path: "team/api", field: "token", kvVersion: 1 };
    expect(secretsSchema.safeParse({ items: { a: { ...item, kv } } }).success).toBe(true);
    expect(secretsSchema.safeParse({ items: { a: { ...item, kv: { ...kv, version: 2 } } } }).success).toBe(
      false,
    );
  });

  it("logs in with AppRole and sends the namespace header", async () => {
    const { vault, provider } = await setup({ ...OPTIONS, namespace: "team-a" }, true);
    const lease = await provider.lease(kvSpec, session(), 60_000);
    expect(lease.secret).toBe(KV_VALUE);
    expect(vault.requests[0]).toMatchObject({ path: "/v1/auth/approle/login", withToken: false });
  });

  /** An AppRole login valid 60 s (renewable up to `maxTtlSeconds`), on a clock the test moves. */
  async function shortLivedLogin(maxTtlSeconds: number) {
    vi.useFakeTimers({ toFake: ["Date"] });
    closers.push(async () => void vi.useRealTimers());
    const approles = {
      "role-123": {
        secretId: "secret-456",
        policies: ["warden"],
        tokenTtlSeconds: 60,
        tokenMaxTtlSeconds: maxTtlSeconds,
      },
    };
    return setup({ ...OPTIONS, approles }, true);
  }

  it("renews its AppRole token (renew-self) instead of logging in again, so sessions' tokens live on", async () => {
    const { vault, provider } = await shortLivedLogin(150);
    const first = session();
    await provider.lease(credsSpec, first, 600_000);
    vi.setSystemTime(Date.now() + 45_000); // past two thirds of 60 s
    await provider.lease(kvSpec, session(), 60_000);
    expect(vault.requests.filter((r) => r.path === "/v1/auth/approle/login")).toHaveLength(1);
    expect(vault.requests.find((r) => r.path === "/v1/auth/token/renew-self")?.body).toEqual({
      increment: "60s",
    });
    vi.setSystemTime(Date.now() + 30_000); // 75 s: the token as first issued would be gone
    expect((await provider.lease(kvSpec, first, 60_000)).secret).toBe(KV_VALUE);
    expect(vault.requests.filter((r) => r.path === "/v1/auth/token/create")).toHaveLength(2);
  });

  it("a session whose token died with Warden's (max TTL reached) gets a new one", async () => {
    const { vault, provider } = await shortLivedLogin(60);
    const s = session();
    const before = await provider.lease(credsSpec, s, 600_000);
    vi.setSystemTime(Date.now() + 61_000);
    // Vault revoked the session token, and its lease, with the expired login token.
    expect(vault.credsValid(before.username!, before.secret)).toBe(false);
    const after = await provider.lease(credsSpec, s, 600_000);
    expect(vault.credsValid(after.username!, after.secret)).toBe(true);
    expect(after.revokeHandle.accessor).not.toBe(before.revokeHandle.accessor);
    expect(vault.requests.filter((r) => r.path === "/v1/auth/approle/login")).toHaveLength(2);
    // A path the policy does not grant stays a refusal: the session token is alive, and kept.
    const denied = await provider
      .lease({ ...kvSpec, kv: { mount: "other", path: "x", field: "y" } }, s, 1000)
      .catch((e: unknown) => e);
    expect(denied).toMatchObject({ code: "SECRET_UNAVAILABLE", details: { status: 403 } });
    expect(vault.requests.filter((r) => r.path === "/v1/auth/token/create")).toHaveLength(2);
    await provider.endSession(s.id);
    expect(vault.liveTokens()).toBe(1); // Warden's own
  });

  /** A token made by root, as an operator would hand Warden one in `tokenEnv`: TTL 60 s. */
  async function givenToken(vault: FakeVault, options: Record<string, unknown>): Promise<string> {
    const res = await fetch(`${vault.address}/v1/auth/token/create`, {
      method: "POST",
      headers: { "x-vault-token": vault.rootToken, "content-type": "application/json" },
      body: JSON.stringify({ policies: ["warden"], ttl: "60s", ...options }),
    });
    return ((await res.json()) as { auth: { client_token: string } }).auth.client_token;
  }

  it("renews a renewable token from tokenEnv (renew-self) before it expires, so sessions' tokens live on", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    closers.push(async () => void vi.useRealTimers());
    const vault = await FakeVault.start(OPTIONS);
    closers.push(() => vault.close());
    const token = await givenToken(vault, {});
    const provider = new VaultProvider({ address: vault.address, auth: { token }, timeoutMs: 2000 });
    const first = session();
    await provider.lease(credsSpec, first, 600_000);
    vi.setSystemTime(Date.now() + 45_000); // past two thirds of 60 s
    // A renewal Vault fails to answer does not fail the lease: the token serves on, the next use renews.
    vault.failNext({ path: "/v1/auth/token/renew-self", times: 1, status: 500 });
    await provider.lease(kvSpec, session(), 60_000);
    vi.setSystemTime(Date.now() + 5_000);
    await provider.lease(kvSpec, session(), 60_000);
    expect(vault.requests.filter((r) => r.path === "/v1/auth/token/lookup-self")).toHaveLength(1);
    const renewals = vault.requests.filter((r) => r.path === "/v1/auth/token/renew-self");
    expect(renewals.map((r) => r.body)).toEqual([{ increment: "60s" }, { increment: "60s" }]);
    vi.setSystemTime(Date.now() + 30_000); // 80 s: the token as first issued would be gone
    expect(vault.tokenValid(token)).toBe(true);
    expect((await provider.lease(kvSpec, first, 60_000)).secret).toBe(KV_VALUE);
    // The given token, then one per session (three): the first session's was still alive, and reused.
    expect(vault.requests.filter((r) => r.path === "/v1/auth/token/create")).toHaveLength(4);
  });

  it("a token from tokenEnv whose policies do not allow lookup-self is used as given", async () => {
    const { vault } = await setup();
    const token = await givenToken(vault, { no_default_policy: true, ttl: "1h" });
    const provider = new VaultProvider({ address: vault.address, auth: { token } });
    expect((await provider.lease(kvSpec, session(), 1000)).secret).toBe(KV_VALUE);
    expect((await provider.lease(kvSpec, session(), 1000)).secret).toBe(KV_VALUE);
    expect(vault.requests.filter((r) => r.path === "/v1/auth/token/lookup-self")).toHaveLength(1);
  });

  it("a token from tokenEnv that cannot be renewed fails with token_expired once it expires", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    closers.push(async () => void vi.useRealTimers());
    const vault = await FakeVault.start(OPTIONS);
    closers.push(() => vault.close());
    for (const [options, reason, at] of [
      [{ renewable: false }, "not_renewable", 61_000],
      // Renewable, but only up to its explicit max TTL of 90 s: the renewal at 45 s is the last.
      [{ explicit_max_ttl: "90s" }, "max_ttl", 91_000],
    ] as const) {
      const start = Date.now();
      const token = await givenToken(vault, options);
      const provider = new VaultProvider({ address: vault.address, auth: { token }, timeoutMs: 2000 });
      await provider.lease(kvSpec, session(), 1000);
      vi.setSystemTime(start + 45_000);
      await provider.lease(kvSpec, session(), 1000);
      vi.setSystemTime(start + at);
      const sent = vault.requests.length;
      const err = await provider.lease(kvSpec, session(), 1000).catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: "SECRET_PROVIDER_FAILED",
        details: { error: "token_expired", reason },
      });
      expect(JSON.stringify({ ...(err as object), message: (err as Error).message })).not.toContain(token);
      expect(vault.requests.length).toBe(sent); // known expired: nothing sent
    }
  });

  it("maps refusals to SECRET_UNAVAILABLE and never puts a token or value in the error", async () => {
    const { vault, provider } = await setup();
    const bad = new VaultProvider({ address: vault.address, auth: { token: "hvs.not-a-real-token" } });
    const errors = [
      await bad.lease(kvSpec, session(), 1000).catch((e: unknown) => e),
      await provider
        .lease({ ...kvSpec, kv: { mount: "secret", path: "nope", field: "x" } }, session(), 1000)
        .catch((e: unknown) => e),
      await provider
        .lease({ ...kvSpec, kv: { mount: "secret", path: "app/stripe", field: "other" } }, session(), 1000)
        .catch((e: unknown) => e),
      await provider
        .lease({ ...kvSpec, kv: { mount: "secret", path: "../sys", field: "x" } }, session(), 1000)
        .catch((e: unknown) => e),
    ] as (Error & { code: string })[];
    for (const err of errors) {
      expect(err.code).toBe("SECRET_UNAVAILABLE");
      const text = `${err.message} ${JSON.stringify((err as { details?: unknown }).details)}`;
      expect(text).not.toContain(vault.rootToken);
      expect(text).not.toContain("hvs.not-a-real-token");
      expect(text).not.toContain(KV_VALUE);
    }
  });

  it("fails with SECRET_PROVIDER_FAILED on an unreachable server or a timeout", async () => {
    const dead = new VaultProvider({ address: "http://127.0.0.1:9", auth: { token: "t" }, timeoutMs: 500 });
    await expect(dead.lease(kvSpec, session(), 1000)).rejects.toMatchObject({
      code: "SECRET_PROVIDER_FAILED",
    });
    const { createServer } = await import("node:http");
    const hang = createServer(() => undefined);
    await new Promise<void>((r) => hang.listen(0, "127.0.0.1", r));
    closers.push(
      () =>
        new Promise((r) => {
          hang.closeAllConnections();
          hang.close(() => r());
        }),
    );
    const port = (hang.address() as { port: number }).port;
    const slow = new VaultProvider({
      address: `http://127.0.0.1:${port}`,
      auth: { token: "t" },
      timeoutMs: 200,
    });
    await expect(slow.lease(kvSpec, session(), 1000)).rejects.toMatchObject({
      code: "SECRET_PROVIDER_FAILED",
      details: { error: "timeout" },
    });
  });
});
