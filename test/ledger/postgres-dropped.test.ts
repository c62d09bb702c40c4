// A PostgreSQL connection cut while Warden holds it (pg_terminate_backend) fails that operation, never the process.
import { describe, expect, it } from "vitest";
import { PostgresStore } from "../../src/ledger/index.js";
import { admin, freshSchema, pgAvailable, pgStore, terminateWhenBlocked } from "./pg.js";

const bucket = { key: "agent:row-bot", burst: 10, perMs: 0.001 };

describe.skipIf(!pgAvailable)("a dropped PostgreSQL connection", () => {
  it("during a rate-limit transaction fails that take; the next take works", async () => {
    const { schema, url } = freshSchema();
    const store = await pgStore({}, url);
    const buckets = store.buckets!;
    expect(await buckets.take([bucket])).toEqual({ ok: true });
    const cut = await admin(async (c) => {
      // The bucket transaction waits for this lock, holding its pooled client, when its connection is cut.
      await c.query("BEGIN");
      await c.query("LOCK TABLE rate_buckets IN ACCESS EXCLUSIVE MODE");
      const take = buckets.take([bucket]).then(
        () => null,
        (e: unknown) => e,
      );
      await terminateWhenBlocked(`warden/${schema}`);
      const failed = await take;
      await c.query("ROLLBACK");
      return failed;
    }, schema);
    expect(cut).toMatchObject({ code: "LEDGER_UNAVAILABLE" });
    expect(await buckets.take([bucket])).toEqual({ ok: true });
  });

  it("during start-up (migrations) fails the open; opening again works", async () => {
    const { schema, url } = freshSchema();
    const cut = await admin(async (c) => {
      // The migration waits for the lock that serializes instances starting together.
      await c.query("BEGIN");
      await c.query("SELECT pg_advisory_xact_lock(hashtextextended('warden.migrate/' || $1, 0))", [schema]);
      const opening = PostgresStore.open(url).then(
        (s) => s.close().then(() => null),
        (e: unknown) => e,
      );
      await terminateWhenBlocked(`warden/${schema}`);
      const failed = await opening;
      await c.query("ROLLBACK");
      return failed;
    });
    expect(cut).toMatchObject({ code: "LEDGER_UNAVAILABLE" });
    const store = await pgStore({}, url);
    expect(await store.buckets!.take([bucket])).toEqual({ ok: true });
  });
});
