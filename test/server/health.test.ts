// GET /healthz: 503 "degraded" while ledger writes fail (a full disk), ok again once they work; no chain head.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Warden } from "../../src/index.js";
import { HEALTH_PROBE_MS, LedgerHealth } from "../../src/server/health.js";
import { createToken, startServer } from "../../src/server/index.js";
import { fillUp, mountTmpfs } from "../disk.js";
import { onCleanup, openWarden, PLAIN_POLICY, tempDir } from "../helpers.js";
import { apiClient } from "./api-client.js";

const canMount = mountTmpfs(tempDir("warden-mount-probe-"), "64k");

describe("GET /healthz", () => {
  it("publishes no chain head to unauthenticated callers", async () => {
    const { warden } = await openWarden(PLAIN_POLICY);
    const server = await startServer(warden, { port: 0 });
    onCleanup(() => server.close());
    await warden.session({ agent: "a", onBehalfOf: "u", intent: "i" });
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ ok: true, status: "ok" });
    const head = await warden.ledger.head();
    expect(text).not.toContain(head!.hash);
  });

  it.runIf(canMount)(
    "is 503 degraded while the disk is full, and ok once a write succeeds again",
    async () => {
      const dir = join(tempDir(), "mnt");
      mkdirSync(dir);
      expect(mountTmpfs(dir, "2m")).toBe(true);
      const warden = await Warden.open({ policy: PLAIN_POLICY, db: join(dir, "ledger.db") });
      onCleanup(() => warden.close().catch(() => undefined));
      const server = await startServer(warden, { port: 0 });
      onCleanup(() => server.close());
      const api = apiClient(() => server.url);
      const { token } = await createToken(warden.ledger.store, { role: "admin" });
      const session = await warden.session({ agent: "a", onBehalfOf: "u", intent: "fill the disk" });
      const decide = () =>
        api("POST", "/v1/decisions", token, {
          session: session.id,
          tool: "read_database",
          args: { pad: "x".repeat(64 * 1024) },
        });
      expect((await decide()).status).toBe(200);
      expect((await api("GET", "/healthz", null)).status).toBe(200);

      const filler = join(dir, "filler");
      fillUp(filler);
      let refused = await decide();
      for (let i = 0; i < 50 && refused.status === 200; i++) refused = await decide();
      expect(refused.body.error.code).toBe("LEDGER_UNAVAILABLE");
      const degraded = await api("GET", "/healthz", null);
      expect(degraded.status).toBe(503);
      expect(degraded.body).toMatchObject({ ok: false, status: "degraded" });

      rmSync(filler);
      expect((await decide()).status).toBe(200);
      expect(await api("GET", "/healthz", null)).toMatchObject({ status: 200, body: { status: "ok" } });
    },
  );

  it("while writes fail and nothing else writes, the check itself tries a write now and then, and recovers", async () => {
    const { warden } = await openWarden(PLAIN_POLICY);
    const store = warden.ledger.store;
    const append = store.append.bind(store);
    let diskFull = true;
    store.append = (chain, seal) =>
      diskFull ? Promise.reject(new Error("SQLITE_FULL")) : append(chain, seal);
    let now = 1_000_000;
    const health = new LedgerHealth(warden.ledger, () => now);
    onCleanup(() => health.close());
    const session = await warden.session({ agent: "a", onBehalfOf: "u", intent: "i" }).catch((e) => e);
    expect(session).toMatchObject({ code: "LEDGER_UNAVAILABLE" });
    expect(await health.check()).toMatchObject({ ok: false, status: "degraded" });
    diskFull = false;
    // Within the probe interval the check does not write: still degraded.
    now += HEALTH_PROBE_MS - 1;
    expect(await health.check()).toMatchObject({ ok: false });
    now += 1;
    expect(await health.check()).toEqual({ ok: true, status: "ok" });
    const [alert] = await store.query({ kinds: ["alert"] });
    expect(alert?.data).toMatchObject({ type: "ledger.writes_failed" });
  });
});
