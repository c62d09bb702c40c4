// The writer: group commit, fail-closed batches, checkpoints (every N, timer, on demand, at close), listeners.
import { createPublicKey, verify } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { canonicalJson } from "../../src/digest.js";
import {
  JOIN_NEXT_MS,
  Ledger,
  type LedgerRecord,
  MemoryStore,
  verifyRecords,
} from "../../src/ledger/index.js";
import { ephemeralKey, intent } from "./helpers.js";

async function memoryLedger(options: { latencyMs?: number; every?: number; seconds?: number } = {}) {
  const store = new MemoryStore({ latencyMs: options.latencyMs ?? 0 });
  const signingKey = ephemeralKey();
  const ledger = await Ledger.open({
    store,
    signingKey,
    checkpointEvery: options.every ?? 1000,
    checkpointSeconds: options.seconds ?? 0,
  });
  return { store, ledger, publicKey: createPublicKey(signingKey) };
}

/** The whole chain as export lines, for verifyRecords. */
async function lines(store: MemoryStore) {
  const out: unknown[] = [];
  const cps = await store.checkpoints("main");
  for (const r of await store.readChain("main", 1, 1e9)) {
    out.push({ type: "record", ...r });
    for (const c of cps.filter((c) => c.seq === r.seq)) out.push({ type: "checkpoint", ...c });
  }
  return out;
}

afterEach(() => vi.useRealTimers());

describe("group commit", () => {
  it("writes 64 concurrent appends in far fewer transactions, each caller getting its own record", async () => {
    const { store, ledger, publicKey } = await memoryLedger({ latencyMs: 2 });
    const inputs = Array.from({ length: 64 }, (_, i) => intent(i));
    const records = await Promise.all(inputs.map((input) => ledger.append(input)));
    const stats = ledger.stats();
    expect(stats.records).toBe(64);
    expect(stats.batches).toBeLessThan(64);
    expect(store.appendCalls).toBe(stats.batches);
    records.forEach((r, i) => {
      expect(r.callId).toBe(inputs[i]!.callId);
      expect(r.data).toEqual(inputs[i]!.data);
      expect(r.seq).toBe(i + 1); // promise order = seq order
    });
    expect(await verifyRecords(await lines(store), { publicKey })).toMatchObject({ ok: true, records: 64 });
  });

  it("queues appends that arrive while a batch is being written into the next batch", async () => {
    const { store, ledger } = await memoryLedger({ latencyMs: 20 });
    const first = ledger.append(intent(0));
    await vi.waitFor(() => expect(store.appendCalls).toBe(1)); // the first batch is now in flight
    const rest = Array.from({ length: 10 }, (_, i) => ledger.append(intent(i + 1)));
    await Promise.all([first, ...rest]);
    expect(ledger.stats()).toMatchObject({ batches: 2, records: 11, largestBatch: 10 });
  });

  it("caps a batch at maxBatch", async () => {
    const store = new MemoryStore();
    const ledger = await Ledger.open({
      store,
      signingKey: ephemeralKey(),
      checkpointSeconds: 0,
      maxBatch: 10,
    });
    await Promise.all(Array.from({ length: 25 }, (_, i) => ledger.append(intent(i))));
    expect(ledger.stats()).toMatchObject({ batches: 3, largestBatch: 10 });
  });

  it("holds a `next` record for the next append's batch, and writes it alone after JOIN_NEXT_MS", async () => {
    const { store, ledger } = await memoryLedger();
    const outcome = ledger.append(intent(0), { batch: "next" });
    const next = ledger.append(intent(1));
    const [joined, started] = await Promise.all([outcome, next]);
    expect([joined.seq, started.seq]).toEqual([1, 2]);
    expect(store.appendCalls).toBe(1);

    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const alone = ledger.append(intent(2), { batch: "next" });
    await vi.advanceTimersByTimeAsync(JOIN_NEXT_MS - 1);
    expect(store.appendCalls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect((await alone).seq).toBe(3);
    expect(store.appendCalls).toBe(2);
  });

  it("close() writes a `next` record still waiting for a batch", async () => {
    const { store, ledger } = await memoryLedger();
    const waiting = ledger.append(intent(0), { batch: "next" });
    await ledger.close();
    expect((await waiting).seq).toBe(1);
    expect(await store.readChain("main", 1, 10)).toHaveLength(1);
  });

  it("seals a snapshot: mutating the input after append does not change the record", async () => {
    const { ledger } = await memoryLedger();
    const input = intent(1);
    const pending = ledger.append(input);
    (input.data.args as { id: number }).id = 999;
    expect(((await pending).data.args as { id: number }).id).toBe(1);
  });
});

describe("fail closed", () => {
  it("rejects every waiter of a failed batch with LEDGER_UNAVAILABLE, keeps the head, and recovers", async () => {
    const { store, ledger, publicKey } = await memoryLedger();
    await ledger.append(intent(0));
    const head = await ledger.head();
    store.failNext(1);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => ledger.append(intent(i + 1))),
    );
    for (const r of results) {
      expect(r.status).toBe("rejected");
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: "LEDGER_UNAVAILABLE" });
    }
    expect(ledger.stats()).toMatchObject({ failedBatches: 1, batches: 1 });
    expect(await ledger.head()).toEqual(head);
    const next = await ledger.append(intent(9));
    expect(next.seq).toBe(2);
    await ledger.checkpointNow();
    expect(await verifyRecords(await lines(store), { publicKey })).toMatchObject({ ok: true, records: 2 });
  });

  it("maps any store error to LEDGER_UNAVAILABLE and stays down while the store is down", async () => {
    const { store, ledger } = await memoryLedger();
    store.failWith(Object.assign(new Error("disk on fire: secret=hunter2"), { code: "EIO" }));
    const err = await ledger.append(intent(0)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "LEDGER_UNAVAILABLE" });
    expect(String((err as Error).message)).not.toContain("hunter2");
    await expect(ledger.checkpointNow()).rejects.toMatchObject({ code: "LEDGER_UNAVAILABLE" });
    store.failWith(null);
    expect((await ledger.append(intent(1))).seq).toBe(1);
  });

  it("refuses bad input alone, without failing the batch it would have joined", async () => {
    const { ledger } = await memoryLedger();
    const good = ledger.append(intent(0));
    const bad = ledger.append({ ...intent(1), data: { ...intent(1).data, args: { n: Number.NaN } } });
    const badKind = ledger.append({ ...intent(2), kind: "nope" as "alert" });
    const badAgent = ledger.append({ ...intent(3), agent: "x\ud800" });
    await expect(bad).rejects.toMatchObject({ code: "INVALID_ARGS" });
    await expect(badKind).rejects.toMatchObject({ code: "INVALID_REQUEST" });
    await expect(badAgent).rejects.toMatchObject({ code: "INVALID_REQUEST" });
    expect((await good).seq).toBe(1);
  });

  it("refuses appends after close", async () => {
    const { ledger } = await memoryLedger();
    await ledger.close();
    await expect(ledger.append(intent(0))).rejects.toMatchObject({ code: "LEDGER_UNAVAILABLE" });
  });

  it("needs an Ed25519 private key", async () => {
    const signingKey = createPublicKey(ephemeralKey());
    await expect(Ledger.open({ store: new MemoryStore(), signingKey })).rejects.toMatchObject({
      code: "LEDGER_KEY_MISSING",
    });
  });
});

describe("checkpoints", () => {
  it("seals one into the batch once checkpointEvery records are unsigned", async () => {
    const { store, ledger } = await memoryLedger({ every: 3 });
    for (let i = 0; i < 7; i++) await ledger.append(intent(i));
    expect((await store.checkpoints("main")).map((c) => c.seq)).toEqual([3, 6]);
    await Promise.all(Array.from({ length: 10 }, (_, i) => ledger.append(intent(i))));
    expect((await store.checkpoints("main")).map((c) => c.seq)).toEqual([3, 6, 17]);
  });

  it("signs {v: 2, chain, seq, hash, ts, chains, cadence} with the ledger key", async () => {
    const { store, ledger, publicKey } = await memoryLedger();
    const rec = await ledger.append(intent(0));
    const cp = await ledger.checkpointNow();
    expect(cp).toMatchObject({ chain: "main", seq: 1, hash: rec.hash, keyId: ledger.keyId, v: 2 });
    expect(cp).toMatchObject({ chains: { main: 1 }, cadence: { records: 1000, seconds: 0 } });
    const { signature: _, keyId: __, ...signed } = cp!;
    const message = Buffer.from(canonicalJson(signed));
    expect(verify(null, message, publicKey, Buffer.from(cp!.signature, "base64"))).toBe(true);
    expect(await store.checkpoints("main")).toEqual([cp]);
    // Nothing new since: no second checkpoint.
    expect(await ledger.checkpointNow()).toBeNull();
  });

  it("writes one on the timer while records were added, and none when idle", async () => {
    // Only the checkpoint timer is faked; appends and the store run on real promises.
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const { store, ledger } = await memoryLedger({ seconds: 0.05 });
    await ledger.append(intent(0));
    expect(await store.checkpoints("main")).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(50);
    expect((await store.checkpoints("main")).map((c) => c.seq)).toEqual([1]);
    await vi.advanceTimersByTimeAsync(150);
    expect(await store.checkpoints("main")).toHaveLength(1);
    await ledger.close();
  });

  it("close() flushes pending appends and signs the tail", async () => {
    const { store, ledger } = await memoryLedger({ latencyMs: 5 });
    const pending = Array.from({ length: 5 }, (_, i) => ledger.append(intent(i)));
    await ledger.close();
    expect((await Promise.all(pending)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect((await store.checkpoints("main")).map((c) => c.seq)).toEqual([5]);
  });
});

describe("onAppend", () => {
  it("receives each committed batch after it is durable, and can unsubscribe", async () => {
    const { store, ledger } = await memoryLedger();
    const seen: LedgerRecord[][] = [];
    const off = ledger.onAppend((records) => seen.push([...records]));
    ledger.onAppend(() => {
      throw new Error("a broken view must not break the ledger");
    });
    await Promise.all([ledger.append(intent(0)), ledger.append(intent(1))]);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.map((r) => r.seq)).toEqual([1, 2]);
    store.failNext(1);
    await expect(ledger.append(intent(2))).rejects.toMatchObject({ code: "LEDGER_UNAVAILABLE" });
    off();
    await ledger.append(intent(3));
    expect(seen).toHaveLength(1);
  });
});

describe("timestamps", () => {
  it("are ISO UTC with ms and never go back along the chain, even when the clock does", async () => {
    let now = Date.parse("2024-05-01T12:00:00.000Z");
    const store = new MemoryStore();
    const ledger = await Ledger.open({
      store,
      signingKey: ephemeralKey(),
      checkpointSeconds: 0,
      clock: () => new Date(now),
    });
    const a = await ledger.append(intent(0));
    now -= 60_000;
    const b = await ledger.append(intent(1));
    expect(a.ts).toBe("2024-05-01T12:00:00.000Z");
    expect(b.ts).toBe(a.ts);
  });
});

describe("restart", () => {
  it("signs a tail a previous process left unsigned as soon as it opens, without waiting for the timer", async () => {
    const store = new MemoryStore();
    const signingKey = ephemeralKey();
    const crashed = await Ledger.open({ store, signingKey, checkpointSeconds: 0 });
    await crashed.append(intent(0));
    // No close(): as if the process died. A new one opens the same store.
    expect(await store.checkpoints("main")).toHaveLength(0);
    // No timer at all (checkpointSeconds 0): the checkpoint can only come from open().
    const restarted = await Ledger.open({ store, signingKey, checkpointSeconds: 0 });
    expect((await store.checkpoints("main")).map((c) => c.seq)).toEqual([1]);
    await restarted.close();
  });
});

describe("chain names", () => {
  it("takes names that travel safely in export ids and headers, and refuses the rest before writing", async () => {
    for (const chain of ["main", "node-1", "eu.west_2", "a".repeat(128)]) {
      const ledger = await Ledger.open({ store: new MemoryStore(), signingKey: ephemeralKey(), chain });
      expect(ledger.chain).toBe(chain);
      await ledger.close();
    }
    for (const chain of ["", "two words", "a\r\nNats-Msg-Id: x", "-flag", "a:b", "ü", "a".repeat(129)]) {
      const store = new MemoryStore();
      await expect(Ledger.open({ store, signingKey: ephemeralKey(), chain })).rejects.toMatchObject({
        code: "INVALID_REQUEST",
      });
      expect(await store.chains()).toEqual([]);
    }
  });
});
