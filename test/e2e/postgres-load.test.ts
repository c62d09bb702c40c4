// Load on two HTTP instances sharing PostgreSQL: 1,000 open sessions, 100,000 decisions, none acknowledged lost.
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { Warden } from "../../src/index.js";
import { generateKeyPair, verifyPostgres } from "../../src/ledger/index.js";
import { createToken, type RunningServer, startServer } from "../../src/server/index.js";
import { tempDir } from "../helpers.js";
import { admin, afterTest, freshSchema, pgAvailable } from "../ledger/pg.js";

const SESSIONS = 1_000;
const DECISIONS = Number(process.env.PG_LOAD_DECISIONS ?? 100_000);

/** HTTP clients in worker threads, so the servers' thread spends its time serving. */
function load(urls: string[], token: string, sessions: string[], decisions: number, threads = 2) {
  const per = Math.ceil(sessions.length / threads);
  return Promise.all(
    Array.from({ length: threads }, (_, t) => {
      const worker = new Worker(join(import.meta.dirname, "fixtures/http-load-worker.mjs"), {
        workerData: {
          urls,
          token,
          sessions: sessions.slice(t * per, (t + 1) * per),
          decisions: Math.floor(decisions / threads) + (t === 0 ? decisions % threads : 0),
          sockets: 32,
        },
      });
      return new Promise<{ acked: string[]; denied: number; failures: number[] }>((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
      }).finally(() => worker.terminate());
    }),
  );
}

describe.skipIf(!pgAvailable)("PostgreSQL under load", () => {
  it("two instances, 1,000 sessions, 100,000 decisions over HTTP: every acknowledged call is recorded and verifies", {
    timeout: 120_000,
  }, async () => {
    const { url, schema } = freshSchema();
    const keys = await generateKeyPair(tempDir());
    const servers: RunningServer[] = [];
    const wardens: Warden[] = [];
    for (let i = 0; i < 2; i++) {
      const w = await Warden.open({
        policy: { allowed_tools: ["read_*"], blocked_tools: ["delete_*"] },
        db: url,
        signingKey: keys.paths.privateKey,
        postgres: { poolSize: 4 },
      });
      wardens.push(w);
      servers.push(await startServer(w, { port: 0 }));
    }
    afterTest(async () => {
      for (const s of servers) await s.close();
      for (const w of wardens) await w.close().catch(() => undefined);
    });
    // A token minted through one instance authenticates on both: tokens live in the shared database.
    const { token } = await createToken(wardens[0]!.ledger.store, { role: "admin" });
    const urls = servers.map((s) => s.url);

    const sessions: string[] = [];
    await Promise.all(
      Array.from({ length: SESSIONS }, async (_, i) => {
        const res = await fetch(`${urls[i % 2]}/v1/sessions`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({
            agent: `agent-${i % 10}`,
            onBehalfOf: `user-${i}@example.com`,
            intent: "load test",
          }),
        });
        expect(res.status).toBe(201);
        sessions.push(String(((await res.json()) as { id: string }).id));
      }),
    );

    const started = Date.now();
    const parts = await load(urls, token, sessions, DECISIONS);
    const seconds = (Date.now() - started) / 1000;
    const acked = parts.flatMap((p) => p.acked);
    const denied = parts.reduce((n, p) => n + p.denied, 0);
    expect(parts.flatMap((p) => p.failures)).toEqual([]);
    expect(acked).toHaveLength(DECISIONS);
    expect(denied).toBe(DECISIONS / 10);

    const recorded = await admin(
      (c) => c.query<{ call_id: string }>("SELECT call_id FROM records WHERE kind = 'call.intent'"),
      schema,
    );
    const ids = new Set(recorded.rows.map((r) => r.call_id));
    expect(acked.filter((id) => !ids.has(id))).toEqual([]);
    const perChain = await admin(
      (c) =>
        c.query<{ chain: string; n: number }>(
          "SELECT chain, count(*)::int AS n FROM records GROUP BY chain ORDER BY chain",
        ),
      schema,
    );
    // Both instances carried the load, each on its own chain.
    expect(perChain.rows.map((r) => r.chain)).toEqual(["node-1", "node-2"]);
    for (const r of perChain.rows) expect(r.n).toBeGreaterThan(DECISIONS / 4);

    for (const s of servers.splice(0)) await s.close();
    for (const w of wardens.splice(0)) await w.close();
    const verdict = await verifyPostgres(url, { publicKey: keys.publicKey });
    expect(verdict).toMatchObject({ ok: true });
    if (verdict.ok) expect(verdict.records).toBeGreaterThanOrEqual(DECISIONS + SESSIONS);
    console.log(
      `postgres load: ${DECISIONS} decisions in ${seconds.toFixed(1)} s (${Math.round(DECISIONS / seconds)}/s)`,
    );
  });
});
