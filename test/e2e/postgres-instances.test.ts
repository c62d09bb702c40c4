// Several Warden instances on one PostgreSQL: shared sessions and limits, SIGKILL and dropped connections.
import { fork } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { Warden } from "../../src/index.js";
import { generateKeyPair, verifyPostgres } from "../../src/ledger/index.js";
import { tempDir } from "../helpers.js";
import { admin, afterTest, freshSchema, pgAvailable } from "../ledger/pg.js";

const POLICY = {
  rules: [{ id: "rows", tools: ["write_row", "read_row"], decision: "allow" }],
  limits: [{ id: "rows-per-agent", key: "agent", tools: ["write_row"], calls: 100, per: "1h" }],
};

async function cluster(n: number, policy: Record<string, unknown> = POLICY) {
  const { url, schema } = freshSchema();
  const dir = tempDir();
  const keys = await generateKeyPair(dir);
  const wardens: Warden[] = [];
  for (let i = 0; i < n; i++) {
    // Small pools: the whole suite shares one server's connection limit.
    const w = await Warden.open({
      policy,
      db: url,
      signingKey: keys.paths.privateKey,
      checkpointEvery: 100,
      postgres: { poolSize: 4 },
    });
    wardens.push(w);
  }
  afterTest(async () => {
    for (const w of wardens) await w.close().catch(() => undefined);
  });
  return { url, schema, dir, keyPath: keys.paths.privateKey, publicKey: keys.publicKey, wardens };
}

const ctx = { agent: "row-bot", onBehalfOf: "ci@example.com", intent: "postgres test" };

describe.skipIf(!pgAvailable)("several instances on one PostgreSQL", () => {
  it("each instance writes its own chain; a session opened on A works on B; an end on B is refused on A at once", async () => {
    const { wardens, url } = await cluster(2);
    const [a, b] = wardens as [Warden, Warden];
    expect([a.ledger.chain, b.ledger.chain]).toEqual(["node-1", "node-2"]);
    const onA = await a.session(ctx);
    // A has the session cached now, so only a notification can tell it about the end.
    expect((await onA.check("read_row", { id: 1 })).enforced).toBe("allow");
    const onB = await b.resume(onA.id);
    expect((await onB.check("read_row", { id: 2 })).enforced).toBe("allow");
    await onB.end();
    const ended = Date.now();
    let refusedAfter = -1;
    while (Date.now() - ended < 2000) {
      const err = await onA.check("read_row", { id: 3 }).catch((e: { code?: string }) => e);
      if ((err as { code?: string }).code === "SESSION_ENDED") {
        refusedAfter = Date.now() - ended;
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(refusedAfter).toBeGreaterThanOrEqual(0);
    expect(refusedAfter).toBeLessThan(500);
    await expect(a.resume(onA.id)).rejects.toMatchObject({ code: "SESSION_ENDED" });
    const verdict = await verifyPostgres(url);
    expect(verdict).toMatchObject({ ok: true });
    if (verdict.ok) expect(verdict.chains.map((c) => c.chain)).toEqual(["node-1", "node-2"]);
  });

  it("an end on B is refused on A also while A's listener is reconnecting", async () => {
    const { wardens, schema } = await cluster(2);
    const [a, b] = wardens as [Warden, Warden];
    const onA = await a.session(ctx);
    expect((await onA.check("read_row", {})).enforced).toBe("allow");
    // A's feed says when it has seen its listener go (null: events may have been missed).
    const lost = new Promise<void>((resolve) => {
      const stop = a.ledger.store.sessionFeed!.subscribe((id) => {
        if (id !== null) return;
        stop();
        resolve();
      });
    });
    // Drop only the LISTEN connections: A may miss the notification, so it must not trust its cache.
    const dropped = await admin((c) =>
      c.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'",
        [`warden/${schema}`],
      ),
    );
    expect(dropped.rowCount).toBe(2);
    // Wait for A's client to see the close (a silent network is the heartbeat's job).
    await lost;
    await (await b.resume(onA.id)).end();
    await expect(onA.check("read_row", {})).rejects.toMatchObject({ code: "SESSION_ENDED" });
    // Once both listeners are back, A still refuses.
    await vi.waitFor(
      async () => {
        const back = await admin((c) =>
          c.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'",
            [`warden/${schema}`],
          ),
        );
        expect(back.rows[0].n).toBe(2);
      },
      { timeout: 10_000, interval: 20 },
    );
    await expect(onA.check("read_row", {})).rejects.toMatchObject({ code: "SESSION_ENDED" });
    // Reconnected: new sessions are cached again and still work on both.
    const again = await b.session(ctx);
    expect((await (await a.resume(again.id)).check("read_row", {})).enforced).toBe("allow");
  });

  it("holds a rate limit across instances under concurrency", async () => {
    const { wardens } = await cluster(3);
    const sessions = await Promise.all(wardens.map((w, i) => (i === 0 ? w.session(ctx) : null)));
    const id = sessions[0]!.id;
    const handles = await Promise.all(wardens.map((w) => w.resume(id)));
    const results = await Promise.all(
      Array.from({ length: 450 }, (_, i) => handles[i % 3]!.check("write_row", { i })),
    );
    const allowed = results.filter((r) => r.enforced === "allow").length;
    const limited = results.filter((r) => r.code === "RATE_LIMITED").length;
    // Exact: each bucket row is locked while its tokens are counted (the brief allows one extra per instance).
    expect(allowed).toBe(100);
    expect(allowed + limited).toBe(450);
    // Tools outside the limit are not slowed or counted.
    expect((await handles[1]!.check("read_row", {})).enforced).toBe("allow");
  });

  it("records a caller-chosen call id once when two instances decide it at the same moment", async () => {
    const { wardens } = await cluster(2);
    const sessions = await Promise.all(wardens.map((w) => w.session(ctx)));
    for (let i = 0; i < 20; i++) {
      const callId = `job-${i}`;
      const results = await Promise.allSettled(sessions.map((s) => s.check("read_row", { i }, { callId })));
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(refused.reason).toMatchObject({ code: "CALL_ID_CONFLICT" });
    }
  });

  it("records one outcome when two instances take a report of the same call at the same moment", async () => {
    const { wardens } = await cluster(2);
    const first = await wardens[0]!.session(ctx);
    const sessions = [first, await wardens[1]!.resume(first.id)];
    for (let i = 0; i < 20; i++) {
      const { callId } = await first.check("read_row", { i });
      const outcome = { status: "ok" as const, result: { i }, durationMs: 1 };
      const results = await Promise.allSettled(sessions.map((s) => s.recordOutcome(callId, outcome)));
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(refused.reason).toMatchObject({ code: "CALL_ID_CONFLICT" });
      expect(await wardens[0]!.ledger.store.query({ callId, kinds: ["call.outcome"] })).toHaveLength(1);
    }
  });

  it("a chain already written by a live instance is refused at open (fail closed)", async () => {
    const { url, keyPath, wardens } = await cluster(1);
    await expect(
      Warden.open({ policy: POLICY, db: url, signingKey: keyPath, chain: wardens[0]!.ledger.chain }),
    ).rejects.toMatchObject({ code: "LEDGER_CHAIN_LOCKED" });
    const other = await Warden.open({
      policy: POLICY,
      db: url,
      signingKey: join(tempDir(), "missing.key"),
    }).catch((e: { code?: string }) => e);
    expect(other).toMatchObject({ code: "LEDGER_KEY_MISSING" });
  });

  it("SIGKILL of one instance mid-burst under a shared limit: every chain verifies, every call that ran is recorded", async () => {
    // One budget for every instance: the child and the parent's two instances all draw on it.
    const policy = {
      allowed_tools: ["write_row"],
      limits: [{ id: "all-writes", key: "user", tools: ["write_row"], calls: 6000, per: "1000h" }],
    };
    const { url, keyPath, publicKey, wardens } = await cluster(2, policy);
    const side = join(tempDir(), "ran.txt");
    const child = fork(
      join(import.meta.dirname, "fixtures/pg-burst-child.mjs"),
      [url, keyPath, side, JSON.stringify(policy)],
      { stdio: "ignore" },
    );
    afterTest(async () => {
      child.kill("SIGKILL");
    });
    await new Promise<void>((resolve, reject) => {
      child.once("message", () => resolve());
      child.once("exit", (code) => reject(new Error(`child exited early with ${code}`)));
    });
    // The parent's instances keep working beside the child until the shared budget runs out.
    let killed = false;
    let limited = false;
    const allowed: string[] = [];
    // Generous: a loaded machine makes the calls slowly, and the budget must run out within it.
    const deadline = Date.now() + 60_000;
    const load = wardens.flatMap((w, wi) =>
      Array.from({ length: 8 }, async (_, worker) => {
        const s = await w.session(ctx);
        for (let i = 0; !(killed && limited) && Date.now() < deadline; i++) {
          const d = await s.check("write_row", { i }, { callId: `p${wi}-${worker}-${i}` });
          if (d.enforced === "allow") allowed.push(d.callId);
          else if (d.code === "RATE_LIMITED") {
            limited = true;
            await new Promise((r) => setTimeout(r, 5));
          }
        }
      }),
    );
    // One id per line; the file ends with a newline, so the count is of non-empty lines (as below).
    const ranIds = () => (existsSync(side) ? readFileSync(side, "utf8").split("\n").filter(Boolean) : []);
    while (Date.now() < deadline) {
      if (ranIds().length > 1000) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    killed = true;
    await Promise.all(load);

    const ran = ranIds();
    expect(ran.length).toBeGreaterThan(1000);
    expect(limited).toBe(true);
    const verdict = await verifyPostgres(url, { publicKey });
    expect(verdict).toMatchObject({ ok: true });
    if (verdict.ok) expect(verdict.chains.map((c) => c.chain).sort()).toEqual(["child", "node-1", "node-2"]);
    const intents = await wardens[0]!.ledger.store.query({ kinds: ["call.intent"] });
    const recorded = new Set(intents.map((r) => r.callId));
    expect(ran.filter((id) => !recorded.has(id))).toEqual([]);
    expect(allowed.filter((id) => !recorded.has(id))).toEqual([]);
    // The limit held across the three instances, the killed one included (the refill is negligible here).
    const allowedRecords = intents.filter(
      (r) => (r.data.decision as { enforced?: string }).enforced === "allow",
    );
    expect(allowedRecords.length).toBeLessThanOrEqual(6000);
    expect(allowedRecords.length).toBeGreaterThan(6000 - 200);
    // The killed instance's chain is free again: a restart takes it and continues it.
    const restarted = await Warden.open({ policy, db: url, signingKey: keyPath, chain: "child" });
    await restarted.close();
    expect(await verifyPostgres(url, { publicKey })).toMatchObject({ ok: true });
  }, 120_000);

  it("fails closed while its connections are terminated and recovers without a restart; nothing acknowledged is lost", async () => {
    const { url, schema, publicKey, wardens } = await cluster(2, { allowed_tools: ["write_row"] });
    const sessions = await Promise.all(wardens.map((w) => w.session(ctx)));
    const acked: string[] = [];
    const codes = new Map<string, number>();
    let phase: "before" | "outage" | "after" = "before";
    const failedIn = { before: 0, outage: 0, after: 0 };
    let stop = false;
    const load = Array.from({ length: 32 }, async (_, worker) => {
      for (let i = 0; !stop; i++) {
        const s = sessions[worker % 2]!;
        try {
          const d = await s.check("write_row", { i }, { callId: `w${worker}-${i}` });
          acked.push(d.callId);
        } catch (err) {
          const code = (err as { code?: string }).code ?? "none";
          codes.set(code, (codes.get(code) ?? 0) + 1);
          failedIn[phase]++;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    });
    // Under way: both instances have acknowledged calls before the outage starts.
    await vi.waitFor(() => expect(acked.length).toBeGreaterThan(100), { timeout: 10_000, interval: 10 });
    phase = "outage";
    // Every Warden connection of this schema, again and again for a second: the pool, the writers, the listeners.
    const outageEnd = Date.now() + 1000;
    while (Date.now() < outageEnd) {
      await admin((c) =>
        c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [
          `warden/${schema}`,
        ]),
      );
      await new Promise((r) => setTimeout(r, 10));
    }
    phase = "after";
    // Recovered: calls are acknowledged again (the pool reconnects on its own), then keep coming.
    const atOutageEnd = acked.length;
    await vi.waitFor(() => expect(acked.length).toBeGreaterThan(atOutageEnd + 100), {
      timeout: 15_000,
      interval: 10,
    });
    const afterCount = acked.length;
    await vi.waitFor(() => expect(acked.length).toBeGreaterThan(afterCount + 100), {
      timeout: 15_000,
      interval: 10,
    });
    stop = true;
    await Promise.all(load);

    expect(failedIn.before).toBe(0);
    expect(failedIn.outage).toBeGreaterThan(0);
    expect([...codes.keys()]).toEqual(["LEDGER_UNAVAILABLE"]);
    // Recovered: calls keep succeeding after the outage, with the same instances.
    expect(acked.length).toBeGreaterThan(afterCount);
    const last = await sessions[0]!.check("write_row", { last: true });
    expect(last.enforced).toBe("allow");

    const intents = await wardens[1]!.ledger.store.query({ kinds: ["call.intent"] });
    const recorded = new Set(intents.map((r) => r.callId));
    expect(acked.filter((id) => !recorded.has(id))).toEqual([]);
    for (const w of wardens) await w.close();
    expect(await verifyPostgres(url, { publicKey })).toMatchObject({ ok: true });
  });
});
