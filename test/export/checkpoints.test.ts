// Checkpoints reach every sink a batch at a time, read a page at a time: a pass never loads every
// checkpoint the chain ever had (one every 10 s is millions over a year).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Warden } from "../../src/index.js";
import { type LedgerStore, MemoryStore, SqliteStore } from "../../src/ledger/index.js";
import { onCleanup, tempDir } from "../helpers.js";
import { POLICY, runCalls, waitFor } from "./helpers.js";

/** The store, counting the most checkpoints one read returned. */
function counting(store: LedgerStore) {
  const seen = { most: 0 };
  const proxy = new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop !== "checkpoints" && prop !== "checkpointsAfter") return value.bind(target);
      return async (...args: unknown[]) => {
        const out = await value.apply(target, args);
        seen.most = Math.max(seen.most, out.length);
        return out;
      };
    },
  });
  return { store: proxy, seen };
}

describe("checkpoint export", () => {
  it("reads the checkpoints after the cursor a batch at a time, and delivers every one", async () => {
    const dir = tempDir();
    const path = join(dir, "audit.jsonl");
    const { store, seen } = counting(await SqliteStore.open(join(dir, "ledger.db")));
    const warden = await Warden.open({
      policy: {
        ...POLICY,
        export: { sinks: [{ name: "file", type: "jsonl", path, batchSize: 5 }] },
      },
      db: store,
      checkpointEvery: 2,
      export: { pollMs: 20 },
    });
    onCleanup(() => warden.close());
    await runCalls(warden, 30);
    const want = (await store.checkpoints("main")).map((c) => `main:checkpoint:${c.seq}`);
    expect(want.length).toBeGreaterThan(20);
    seen.most = 0;
    const lines = () =>
      readFileSync(path, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { id: string }).id);
    await waitFor(() => want.every((id) => lines().includes(id)));
    // In the order they were signed.
    expect(lines().filter((id) => id.includes(":checkpoint:"))).toEqual(want);
    expect(seen.most).toBeLessThanOrEqual(5);
  });

  it.each([
    ["memory", async () => new MemoryStore()],
    ["sqlite", async () => SqliteStore.open(join(tempDir(), "ledger.db"))],
  ])("%s store: checkpointsAfter is the page of checkpoints() after a seq", async (_name, open) => {
    const store = await open();
    const warden = await Warden.open({ policy: POLICY, db: store, checkpointEvery: 3 });
    onCleanup(() => warden.close());
    await runCalls(warden, 10);
    const all = await store.checkpoints("main");
    expect(all.length).toBeGreaterThan(5);
    const after = all[1]!.seq;
    expect(await store.checkpointsAfter("main", after, 3)).toEqual(all.slice(2, 5));
    expect(await store.checkpointsAfter("main", all.at(-1)!.seq, 3)).toEqual([]);
    expect(await store.checkpointsAfter("other", 0, 3)).toEqual([]);
  });
});
