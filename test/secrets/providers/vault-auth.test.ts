// The vault provider's Kubernetes and JWT logins against the fake Vault: what is sent, a rotated JWT
// file read again at the next login, the policy's one-login-method rule, and no JWT in errors or records.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { checkPolicyText } from "../../../src/policy/index.js";
import { openSecrets, VaultProvider } from "../../../src/secrets/index.js";
import { tempDir } from "../../helpers.js";
import { FakeVault, type FakeVaultOptions } from "../fake-vault.js";
import { allRecords, assertNoSecret, kvSpec, session, sqliteLedger, vaultKvSecrets } from "../helpers.js";

const KV_VALUE = "kv-s3cret-value-0003";
const ROLE = { policies: ["warden"], tokenTtlSeconds: 60, tokenMaxTtlSeconds: 60 };
const BASE: FakeVaultOptions = {
  kv: { "secret/app/stripe": { api_key: KV_VALUE } },
  policies: { warden: ["auth/token/create", "secret/data/*"] },
};

/** A JWT-shaped token made up at run time (the fake checks it against its list, not its signature). */
function makeJwt(sub: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return [
    part({ alg: "RS256", typ: "JWT" }),
    part({ iss: "test", sub }),
    randomBytes(32).toString("base64url"),
  ].join(".");
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function fake(options: FakeVaultOptions): Promise<FakeVault> {
  const vault = await FakeVault.start(options);
  closers.push(() => vault.close());
  return vault;
}

const logins = (vault: FakeVault, mount: string) =>
  vault.requests.filter((r) => r.path === `/v1/auth/${mount}/login`);

describe("Vault logins", () => {
  it("Kubernetes: role and the service-account JWT, read again from its file at each login", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    closers.push(async () => void vi.useRealTimers());
    const [first, rotated] = [makeJwt("system:serviceaccount:agents:warden"), makeJwt("rotated")];
    const vault = await fake({ ...BASE, kubernetes: { roles: { warden: ROLE }, validJwts: [first] } });
    const jwtFile = join(tempDir(), "token");
    writeFileSync(jwtFile, `${first}\n`);
    const provider = new VaultProvider({
      address: vault.address,
      auth: { kubernetes: { role: "warden", jwtFile } },
      timeoutMs: 2000,
    });
    expect((await provider.lease(kvSpec, session(), 1000)).secret).toBe(KV_VALUE);
    expect(logins(vault, "kubernetes")).toMatchObject([
      { method: "POST", withToken: false, body: { role: "warden", jwt: first } },
    ]);
    // The kubelet rotates the token in place; the old one no longer verifies. Warden's token reaches
    // its max TTL (60 s), so the next lease logs in again, with the file as it is now.
    writeFileSync(jwtFile, rotated);
    vault.acceptJwts("kubernetes", [rotated]);
    vi.setSystemTime(Date.now() + 61_000);
    expect((await provider.lease(kvSpec, session(), 1000)).secret).toBe(KV_VALUE);
    expect(logins(vault, "kubernetes").map((r) => r.body)).toEqual([
      { role: "warden", jwt: first },
      { role: "warden", jwt: rotated },
    ]);
  });

  it("JWT: from a file or given, at its mount, with a role or Vault's default_role", async () => {
    const jwt = makeJwt("ci-pipeline");
    const vault = await fake({
      ...BASE,
      jwt: { mount: "ci", roles: { warden: ROLE }, defaultRole: "warden", validJwts: [jwt] },
    });
    const jwtFile = join(tempDir(), "jwt");
    writeFileSync(jwtFile, jwt);
    const fromFile = new VaultProvider({
      address: vault.address,
      auth: { jwt: { role: "warden", mount: "ci", jwtFile } },
    });
    expect((await fromFile.lease(kvSpec, session(), 1000)).secret).toBe(KV_VALUE);
    const given = new VaultProvider({ address: vault.address, auth: { jwt: { mount: "ci", jwt } } });
    expect((await given.lease(kvSpec, session(), 1000)).secret).toBe(KV_VALUE);
    expect(logins(vault, "ci").map((r) => r.body)).toEqual([{ role: "warden", jwt }, { jwt }]);
    expect(() => new VaultProvider({ address: vault.address, auth: { jwt: { jwt, jwtFile } } })).toThrow(
      /no credentials/,
    );
  });

  it("a refused or unreadable JWT is a typed error that holds neither the JWT nor a token", async () => {
    const [valid, stale] = [makeJwt("warden"), makeJwt("stale")];
    const vault = await fake({ ...BASE, kubernetes: { roles: { warden: ROLE }, validJwts: [valid] } });
    const jwtFile = join(tempDir(), "token");
    writeFileSync(jwtFile, stale);
    const auth = { kubernetes: { role: "warden", jwtFile } };
    const refused = await new VaultProvider({ address: vault.address, auth })
      .lease(kvSpec, session(), 1000)
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "SECRET_UNAVAILABLE", details: { status: 403 } });
    const unknownRole = await new VaultProvider({
      address: vault.address,
      auth: { kubernetes: { role: "nobody", jwtFile } },
    })
      .lease(kvSpec, session(), 1000)
      .catch((e: unknown) => e);
    expect(unknownRole).toMatchObject({ code: "SECRET_UNAVAILABLE", details: { status: 400 } });
    const missing = await new VaultProvider({
      address: vault.address,
      auth: { kubernetes: { role: "warden", jwtFile: join(tempDir(), "none") } },
    })
      .lease(kvSpec, session(), 1000)
      .catch((e: unknown) => e);
    expect(missing).toMatchObject({
      code: "SECRET_PROVIDER_FAILED",
      details: { error: "jwt_file_unreadable" },
    });
    for (const err of [refused, unknownRole, missing]) {
      const text = `${(err as Error).message} ${JSON.stringify(err)}`;
      expect(text).not.toContain(stale);
      expect(text).not.toContain(valid);
    }
  });

  it("a policy's vault provider logs in with kubernetes or jwt; the JWT reaches no ledger record", async () => {
    const jwt = makeJwt("warden");
    const vault = await fake({
      ...BASE,
      kubernetes: { roles: { warden: ROLE }, validJwts: [jwt] },
      jwt: { roles: { warden: ROLE }, validJwts: [jwt] },
    });
    const jwtFile = join(tempDir(), "token");
    writeFileSync(jwtFile, jwt);
    const settings = (login: Record<string, unknown>) => vaultKvSecrets({ address: vault.address, ...login });
    const { ledger } = await sqliteLedger();
    for (const login of [
      { kubernetes: { role: "warden", jwtFile } },
      { jwt: { role: "warden", jwtEnv: "VAULT_JWT" } },
      { jwt: { jwtFile } }, // no role, and no default_role: Vault refuses
    ]) {
      const stage = await openSecrets({ settings: settings(login), ledger, env: { VAULT_JWT: jwt } });
      closers.push(() => stage.close());
      const got = await stage.broker.leaseFor(session(), "pay").catch((e: unknown) => e);
      if ("jwtFile" in (login.jwt ?? {})) {
        expect(got).toMatchObject({ code: "SECRET_UNAVAILABLE", details: { status: 400 } });
        expect(`${(got as Error).message} ${JSON.stringify(got)}`).not.toContain(jwt);
      } else {
        expect((got as { secret: string }[])[0]!.secret).toBe(KV_VALUE);
      }
    }
    expect(logins(vault, "kubernetes")).toHaveLength(1);
    expect(logins(vault, "jwt")).toHaveLength(2);
    assertNoSecret(await allRecords(ledger), jwt);
    // The default service-account path, outside a pod: the start stops, naming the file.
    await expect(
      openSecrets({ settings: settings({ kubernetes: { role: "warden" } }), ledger, env: {} }),
    ).rejects.toMatchObject({
      code: "SECRET_PROVIDER_FAILED",
      message: expect.stringContaining("/var/run/secrets/kubernetes.io/serviceaccount/token"),
    });
  });

  it("the policy takes exactly one login method, each with what it needs", () => {
    const check = (provider: string) =>
      checkPolicyText(`secrets:\n  providers:\n    v: ${provider}\n  items: {}\n`, "policy.yaml").map(
        (i) => ({
          path: i.path.slice(3).join("."),
          message: i.message,
        }),
      );
    const vault = '{ type: vault, address: "https://vault.example.com:8200"';
    expect(check(`${vault}, kubernetes: { role: warden } }`)).toEqual([]);
    expect(check(`${vault}, jwt: { jwtEnv: CI_JWT, mount: gitlab } }`)).toEqual([]);
    expect(check(`${vault} }`)).toEqual([
      { path: "", message: "a vault provider needs one of `tokenEnv`, `approle`, `kubernetes` or `jwt`" },
    ]);
    expect(check(`${vault}, tokenEnv: VT, kubernetes: { role: warden } }`)).toEqual([
      {
        path: "kubernetes",
        message: expect.stringContaining("`kubernetes` and `tokenEnv` are both set"),
      },
    ]);
    expect(check(`${vault}, jwt: { jwtFile: /run/jwt, jwtEnv: CI_JWT } }`)).toEqual([
      { path: "jwt", message: "a jwt login reads its JWT from either `jwtFile` or `jwtEnv`" },
    ]);
    expect(check(`${vault}, kubernetes: { jwtFile: /run/token } }`)).toMatchObject([
      { path: "kubernetes.role" },
    ]);
  });
});
