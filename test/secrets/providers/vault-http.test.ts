// The vault provider's transport: headers Vault expects, sealed and standby nodes, redirects, TLS
// settings, and answers that are too slow or too large.
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  openSecrets,
  secretsSchema,
  VaultProvider,
  type VaultProviderOptions,
} from "../../../src/secrets/index.js";
import { tempDir } from "../../helpers.js";
import { selfSignedCertificate, type TestCertificate } from "../../tls.js";
import { FakeVault, type FakeVaultOptions } from "../fake-vault.js";
import { credsSpec, kvSpec, session, sqliteLedger, vaultKvSecrets } from "../helpers.js";

const KV_VALUE = "kv-s3cret-value-0002";
const OPTIONS: FakeVaultOptions = {
  kv: { "secret/app/stripe": { api_key: KV_VALUE } },
  approles: { "role-123": { secretId: "secret-456", policies: ["warden"], tokenTtlSeconds: 3600 } },
  policies: { warden: ["auth/token/create", "secret/data/*"] },
};

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function fake(options: FakeVaultOptions = OPTIONS): Promise<FakeVault> {
  const vault = await FakeVault.start(options);
  closers.push(() => vault.close());
  return vault;
}

/** A plain HTTP server on 127.0.0.1 answering with `handler`; its address. */
async function server(handler: RequestListener): Promise<string> {
  const s = createServer(handler);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  closers.push(
    () =>
      new Promise((r) => {
        s.closeAllConnections();
        s.close(() => r());
      }),
  );
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

describe("Vault transport", () => {
  it("sends X-Vault-Request: true on every request (Vault Agent's require_request_header)", async () => {
    const vault = await fake({ ...OPTIONS, requireRequestHeader: true });
    const provider = new VaultProvider({
      address: vault.address,
      auth: { approle: { roleId: "role-123", secretId: "secret-456" } },
    });
    expect((await provider.lease(kvSpec, session(), 60_000)).secret).toBe(KV_VALUE);
    expect(vault.requests.map((r) => r.vaultRequest)).toEqual(["true", "true", "true"]);
  });

  it("a sealed Vault is a provider failure named `sealed`, not a refusal, and is not retried", async () => {
    const vault = await fake();
    vault.sealed = true;
    const provider = new VaultProvider({
      address: vault.address,
      auth: { token: vault.rootToken },
      retry: { attempts: 5, minDelayMs: 1, maxDelayMs: 1 },
    });
    await expect(provider.lease(kvSpec, session(), 60_000)).rejects.toMatchObject({
      code: "SECRET_PROVIDER_FAILED",
      details: { status: 503, error: "sealed" },
    });
    expect(vault.requests).toHaveLength(1);
  });

  it("429 (rate limit quota) and 412 (standby behind) that last are provider failures", async () => {
    for (const [status, text, cause] of [
      [429, 'request path "secret/data/x": rate limit quota exceeded', "rate_limited"],
      [412, "required index state not present", "index_not_present"],
    ] as const) {
      const address = await server((_req, res) => {
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ errors: [text] }));
      });
      const provider = new VaultProvider({
        address,
        auth: { token: "t" },
        retry: { attempts: 2, minDelayMs: 1, maxDelayMs: 1 },
      });
      await expect(provider.lease(kvSpec, session(), 60_000)).rejects.toMatchObject({
        code: "SECRET_PROVIDER_FAILED",
        details: { status, error: cause, attempts: 2 },
      });
    }
  });

  it("follows a standby node's 307 to the active node, method, body and token included", async () => {
    const active = await fake();
    const standby = await fake({ ...OPTIONS, standbyOf: active.address });
    const provider = new VaultProvider({
      address: standby.address,
      auth: { approle: { roleId: "role-123", secretId: "secret-456" } },
    });
    expect((await provider.lease(kvSpec, session(), 60_000)).secret).toBe(KV_VALUE);
    expect(standby.requests.map((r) => r.path)).toEqual([
      "/v1/auth/approle/login",
      "/v1/auth/token/create",
      "/v1/secret/data/app/stripe",
    ]);
    expect(active.requests[0]).toMatchObject({
      method: "POST",
      path: "/v1/auth/approle/login",
      body: { role_id: "role-123", secret_id: "secret-456" },
    });
    expect(active.requests[2]).toMatchObject({ method: "GET", withToken: true });
  });

  it("refuses a redirect loop, and any 3xx but 307 and 308", async () => {
    const loop: string[] = [];
    const address = await server((req, res) => {
      loop.push(req.url ?? "");
      res.writeHead(307, { location: req.url ?? "/" }).end();
    });
    const looping = new VaultProvider({ address, auth: { token: "t" } });
    await expect(looping.lease(kvSpec, session(), 60_000)).rejects.toMatchObject({
      code: "SECRET_PROVIDER_FAILED",
      details: { error: "too_many_redirects" },
    });
    expect(loop.length).toBe(4);
    const other = await server((req, res) => {
      res.writeHead(302, { location: `${address}${req.url}` }).end();
    });
    const found = new VaultProvider({ address: other, auth: { token: "t" } });
    await expect(found.lease(kvSpec, session(), 60_000)).rejects.toMatchObject({
      code: "SECRET_PROVIDER_FAILED",
      details: { status: 302, error: "unexpected_redirect" },
    });
  });

  it("fails a response larger than the cap without reading it all", async () => {
    const huge = "x".repeat(4 * 1024 * 1024);
    const address = await server((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ data: { data: { api_key: KV_VALUE, pad: huge }, metadata: {} } }));
    });
    const provider = new VaultProvider({ address, auth: { token: "t" } });
    const err = await provider.lease(kvSpec, session(), 60_000).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "SECRET_PROVIDER_FAILED", details: { error: "response_too_large" } });
    expect(JSON.stringify(err)).not.toContain(KV_VALUE);
  });

  it("a body that trickles in slower than the timeout fails the call at the timeout", async () => {
    const address = await server((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"data":');
      const drip = setInterval(() => res.write(" "), 50);
      res.on("close", () => clearInterval(drip));
    });
    const provider = new VaultProvider({ address, auth: { token: "t" }, timeoutMs: 300 });
    const started = Date.now();
    await expect(provider.lease(kvSpec, session(), 60_000)).rejects.toMatchObject({
      code: "SECRET_PROVIDER_FAILED",
      details: { error: "timeout" },
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  describe("retries", () => {
    const KV_PATH = "/v1/secret/data/app/stripe";
    const FAST = { attempts: 4, minDelayMs: 1, maxDelayMs: 5 };
    const CREDS_OPTIONS: FakeVaultOptions = {
      ...OPTIONS,
      roles: { "database/readonly": { defaultTtlSeconds: 600, maxTtlSeconds: 3600 } },
    };
    const rootProvider = (vault: FakeVault, extra: Partial<VaultProviderOptions> = {}) =>
      new VaultProvider({ address: vault.address, auth: { token: vault.rootToken }, retry: FAST, ...extra });
    const hits = (vault: FakeVault, path: string) => vault.requests.filter((r) => r.path === path).length;

    it("tries again after 412, 429, 500, 502, 503 (not sealed) and 504, within the deadline", async () => {
      for (const [status, errors] of [
        [412, ["required index state not present"]],
        [429, ['request path "secret/data/app/stripe": rate limit quota exceeded']],
        [500, ["failed to read from storage"]],
        [502, []],
        [503, ["Vault server temporarily overloaded"]],
        [504, []],
      ] as const) {
        const vault = await fake();
        vault.failNext({ path: KV_PATH, times: 2, status, errors: [...errors] });
        expect((await rootProvider(vault).lease(kvSpec, session(), 60_000)).secret).toBe(KV_VALUE);
        expect(hits(vault, KV_PATH)).toBe(3);
      }
    });

    it("a request that makes a lease or a token is tried again only after an answer saying it did not run", async () => {
      const vault = await fake(CREDS_OPTIONS);
      const provider = rootProvider(vault);
      const CREDS = "/v1/database/creds/readonly";
      // A performance standby that has not yet seen the session token made on the active node.
      vault.failNext({ path: "/v1/auth/token/create", times: 1, status: 412 });
      vault.failNext({ path: CREDS, times: 1, status: 412 });
      vault.failNext({ path: CREDS, times: 1, status: 503, errors: ["Vault server temporarily overloaded"] });
      const lease = await provider.lease(credsSpec, session(), 60_000);
      expect(vault.credsValid(lease.username!, lease.secret)).toBe(true);
      expect(hits(vault, "/v1/auth/token/create")).toBe(2);
      expect(hits(vault, CREDS)).toBe(3);
      // A 500 or a proxy's 502 or 504 may hide a read Vault carried out (a second lease): not tried again.
      for (const status of [500, 502, 504]) {
        vault.failNext({ path: CREDS, times: 1, status });
        const before = hits(vault, CREDS);
        await expect(provider.lease(credsSpec, session(), 60_000)).rejects.toMatchObject({
          code: "SECRET_PROVIDER_FAILED",
          details: { status },
        });
        expect(hits(vault, CREDS)).toBe(before + 1);
      }
    });

    it("waits the Retry-After of a 429, and fails at once when it ends past the deadline", async () => {
      const vault = await fake();
      const limited = { path: KV_PATH, times: 1, status: 429, errors: ["rate limit quota exceeded"] };
      vault.failNext({ ...limited, headers: { "retry-after": "1" } });
      const started = Date.now();
      expect((await rootProvider(vault, { timeoutMs: 4000 }).lease(kvSpec, session(), 1000)).secret).toBe(
        KV_VALUE,
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      vault.failNext({ ...limited, headers: { "retry-after": "60" } });
      await expect(rootProvider(vault).lease(kvSpec, session(), 1000)).rejects.toMatchObject({
        code: "SECRET_PROVIDER_FAILED",
        details: { status: 429, error: "rate_limited" },
      });
      expect(hits(vault, KV_PATH)).toBe(3);
    });

    it("gives up after the last try, or at the deadline, with the typed provider error", async () => {
      const vault = await fake();
      vault.failNext({
        path: KV_PATH,
        times: 1000,
        status: 503,
        errors: ["Vault server temporarily overloaded"],
      });
      await expect(
        rootProvider(vault, { retry: { attempts: 3, minDelayMs: 1, maxDelayMs: 1 } }).lease(
          kvSpec,
          session(),
          1000,
        ),
      ).rejects.toMatchObject({ code: "SECRET_PROVIDER_FAILED", details: { status: 503, attempts: 3 } });
      expect(hits(vault, KV_PATH)).toBe(3);
      const started = Date.now();
      const err = await rootProvider(vault, {
        timeoutMs: 1000,
        retry: { attempts: 100, minDelayMs: 200, maxDelayMs: 200 },
      })
        .lease(kvSpec, session(), 1000)
        .catch((e: unknown) => e);
      // Waits of 100-200 ms in a 1 s deadline: at most ten tries of the hundred allowed, and no wait
      // that would end past the deadline.
      const tries = hits(vault, KV_PATH) - 3;
      expect(err).toMatchObject({
        code: "SECRET_PROVIDER_FAILED",
        details: { status: 503, attempts: tries },
      });
      expect(tries).toBeGreaterThanOrEqual(2);
      expect(tries).toBeLessThanOrEqual(10);
      expect(Date.now() - started).toBeLessThan(3000);
    });
  });

  describe("TLS", () => {
    let tls: TestCertificate;
    beforeAll(() => {
      tls = selfSignedCertificate(["DNS:vault.test"]);
    });
    afterAll(() => tls.remove());

    it("trusts the configured CA and checks the certificate against serverName", async () => {
      const vault = await fake({ ...OPTIONS, tls: { key: tls.key, cert: tls.cert } });
      const ok = new VaultProvider({
        address: vault.address,
        auth: { token: vault.rootToken },
        ca: tls.cert,
        serverName: "vault.test",
      });
      expect((await ok.lease(kvSpec, session(), 60_000)).secret).toBe(KV_VALUE);
      const untrusted = new VaultProvider({
        address: vault.address,
        auth: { token: vault.rootToken },
        serverName: "vault.test",
      });
      await expect(untrusted.lease(kvSpec, session(), 60_000)).rejects.toMatchObject({
        code: "SECRET_PROVIDER_FAILED",
      });
      const wrongName = new VaultProvider({
        address: vault.address,
        auth: { token: vault.rootToken },
        ca: tls.cert,
      });
      await expect(wrongName.lease(kvSpec, session(), 60_000)).rejects.toMatchObject({
        code: "SECRET_PROVIDER_FAILED",
        details: { error: "ERR_TLS_CERT_ALTNAME_INVALID" },
      });
      // Nothing reached the server over a connection that failed its checks (lookup-self, create, read).
      expect(vault.requests).toHaveLength(3);
    });

    it("a policy's vault provider takes caFile, serverName, timeout and retry", async () => {
      const vault = await fake({ ...OPTIONS, tls: { key: tls.key, cert: tls.cert } });
      const doc = (extra: Record<string, unknown>) =>
        vaultKvSecrets({ address: vault.address, tokenEnv: "VT", ...extra });
      const { ledger } = await sqliteLedger();
      const stage = await openSecrets({
        settings: doc({
          caFile: tls.certPath,
          serverName: "vault.test",
          timeout: "2s",
          retry: { attempts: 3, minDelay: "10ms", maxDelay: "20ms" },
        }),
        ledger,
        env: { VT: vault.rootToken },
      });
      closers.push(() => stage.close());
      vault.failNext({ path: "/v1/secret/data/app/stripe", times: 2, status: 429 });
      const [lease] = await stage.broker.leaseFor(session(), "pay");
      expect(lease!.secret).toBe(KV_VALUE);
      expect(() => doc({ retry: { attempts: 0 } })).toThrow();
      expect(() =>
        secretsSchema.parse({
          providers: { v: { type: "vault", address: vault.address, timeout: "10m" } },
          items: {},
        }),
      ).toThrow();
      await expect(
        openSecrets({ settings: doc({ caFile: join(tempDir(), "missing.pem") }), ledger, env: { VT: "t" } }),
      ).rejects.toMatchObject({ code: "SECRET_PROVIDER_FAILED", message: expect.stringContaining("ENOENT") });
    });

    it("does not follow a standby's redirect from https down to http", async () => {
      const plain = await fake();
      const standby = await fake({
        ...OPTIONS,
        tls: { key: tls.key, cert: tls.cert },
        standbyOf: plain.address,
      });
      const provider = new VaultProvider({
        address: standby.address,
        auth: { token: plain.rootToken },
        ca: tls.cert,
        serverName: "vault.test",
      });
      await expect(provider.lease(kvSpec, session(), 60_000)).rejects.toMatchObject({
        code: "SECRET_PROVIDER_FAILED",
        details: { status: 307, error: "bad_redirect" },
      });
      expect(plain.requests).toHaveLength(0);
    });
  });
});
