// `warden token create | list | revoke`: the id beside the secret, a list without secrets, expiry the
// service enforces, last use it notes, and agents the policy does not know refused.
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { Warden } from "../../src/index.js";
import { SqliteStore } from "../../src/ledger/index.js";
import { createToken, startServer } from "../../src/server/index.js";
import { authenticate, TokenCache } from "../../src/server/tokens.js";
import { onCleanup, tempDir } from "../helpers.js";
import { cli } from "./run-cli.js";

let cwd: string;

beforeEach(async () => {
  cwd = tempDir();
  expect((await cli(["init"], cwd)).code).toBe(0);
});

describe("warden token", () => {
  it("create prints the id beside the secret; list shows every token without secrets or digests", async () => {
    const made = await cli(
      ["token", "create", "--role", "agent", "--agent", "support-bot", "--ttl", "90d"],
      cwd,
    );
    expect(made.code).toBe(0);
    const [id, secret] = made.stdout.trim().split("\t");
    expect(id).toMatch(/^tok_/);
    expect(secret).toMatch(/^wdn_/);
    expect(made.stderr).toContain(`warden token revoke ${id}`);
    await cli(["token", "create", "--role", "approver", "--name", "ann@example.com"], cwd);
    expect((await cli(["token", "revoke", id!], cwd)).code).toBe(0);

    const listed = await cli(["token", "list"], cwd);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+ROLE\s+AGENT\s+NAME\s+CREATED\s+LAST USED\s+EXPIRES\s+REVOKED$/);
    const agentLine = lines.find((l) => l.startsWith(id!))!;
    expect(agentLine).toMatch(/agent\s+support-bot\s+-\s+\S+Z\s+never\s+\S+Z\s+\S+Z$/);
    expect(lines.find((l) => l.includes("ann@example.com"))).toMatch(/approver\s+-\s+ann@example\.com/);
    expect(listed.stdout).not.toContain(secret);

    const json = (await cli(["token", "list", "--json"], cwd)).stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(json[0]).toMatchObject({ id, role: "agent", agent: "support-bot", lastUsedAt: null });
    expect(Date.parse(json[0].expiresAt) - Date.parse(json[0].createdAt)).toBe(90 * 86_400_000);
    expect(JSON.stringify(json)).not.toContain("hash");
    expect((await cli(["token", "lst"], cwd)).stderr).toContain("did you mean list?");
    expect((await cli(["token", "create", "--role", "admin", "--ttl", "soon"], cwd)).code).toBe(2);
  });

  it("refuses an agent the policy does not know, and warns with --force", async () => {
    const refused = await cli(["token", "create", "--role", "agent", "--agent", "suport-bot"], cwd);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('no agent "suport-bot"');
    expect(refused.stderr).toContain("support-bot");
    expect((await cli(["token", "list", "--json"], cwd)).stdout).toBe("");
    const forced = await cli(["token", "create", "--role", "agent", "--agent", "suport-bot", "--force"], cwd);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain("warning");
  });

  it("the service refuses an expired token, and notes when a good one was last used", async () => {
    const db = join(cwd, ".warden/ledger.db");
    const warden = await Warden.open({ policy: join(cwd, ".warden/policy.yaml"), db });
    onCleanup(() => warden.close());
    const server = await startServer(warden, { port: 0 });
    onCleanup(() => server.close());
    const hourAgo = new Date(Date.now() - 3_600_000);
    const expired = await createToken(warden.ledger.store, { role: "admin", ttlMs: 60_000 }, hourAgo);
    const fresh = await createToken(warden.ledger.store, { role: "admin", ttlMs: 3_600_000 });
    const get = (token: string) =>
      fetch(`${server.url}/v1/ledger?limit=1`, { headers: { authorization: `Bearer ${token}` } }).then(
        (r) => r.status,
      );
    expect(await get(expired.token)).toBe(401);
    expect(await get(fresh.token)).toBe(200);
    const rows = await warden.ledger.store.tokens();
    expect(rows.find((t) => t.id === fresh.id)?.lastUsedAt).not.toBeNull();
    expect(rows.find((t) => t.id === expired.id)?.lastUsedAt).toBeNull();
    const listed = await cli(["token", "list"], cwd);
    expect(listed.stdout.split("\n").find((l) => l.startsWith(fresh.id))).not.toContain("never");
  });

  it("a cached token is not trusted past its expiry", async () => {
    const store = await SqliteStore.open(join(cwd, "t.db"));
    onCleanup(() => store.close());
    const start = Date.parse("2030-01-01T00:00:00.000Z");
    let now = start;
    const minted = await createToken(store, { role: "auditor", ttlMs: 2_000 }, new Date(start));
    const cache = new TokenCache(store, () => now);
    expect(await cache.authenticate(minted.token)).not.toBeNull();
    now = start + 1_999;
    expect(await cache.authenticate(minted.token)).not.toBeNull();
    now = start + 2_000;
    expect(await cache.authenticate(minted.token)).toBeNull();
    expect(await authenticate(store, minted.token, new Date(start + 10_000))).toBeNull();
    // An unreadable expiry fails closed.
    const row = (await store.tokens())[0]!;
    await store.putToken({ ...row, expiresAt: "not a time" });
    expect(await authenticate(store, minted.token, new Date(start))).toBeNull();
  });
});
