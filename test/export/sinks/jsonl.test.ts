// JSON lines sink: every record and checkpoint lands once per line, rotation by size and by age.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkpointEvent, JsonlSink, recordEvent } from "../../../src/export/index.js";
import { openWarden, tempDir } from "../../helpers.js";
import { expectedIds, POLICY, runCalls, waitFor } from "../helpers.js";

function lines(dir: string): { id: string; type: string }[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith("audit.jsonl"))
    .flatMap((f) => readFileSync(join(dir, f), "utf8").trim().split("\n").filter(Boolean))
    .map((l) => JSON.parse(l) as { id: string; type: string });
}

describe("jsonl sink", () => {
  it("exports every record and the signed checkpoints through Warden.open({ export: true })", async () => {
    const out = tempDir();
    const policy = {
      ...POLICY,
      export: { sinks: [{ name: "file", type: "jsonl", path: join(out, "audit.jsonl") }] },
    };
    const { warden } = await openWarden(policy, { export: { pollMs: 50 }, checkpointEvery: 10 });
    await runCalls(warden, 20);
    await warden.ledger.checkpointNow();
    const ids = await expectedIds(warden);
    await waitFor(() => {
      const got = new Set(lines(out).map((l) => l.id));
      return ids.every((id) => got.has(id)) && lines(out).some((l) => l.type === "checkpoint");
    });
    const got = lines(out);
    expect(got.filter((l) => l.type !== "checkpoint").map((l) => l.id)).toEqual(ids);
    expect(warden.exporter?.stats().get("file")).toMatchObject({ lag: 0, deadLettered: 0 });
  });

  it("rotates by size and by age without losing or repeating a line", async () => {
    const out = tempDir();
    let now = Date.parse("2026-01-01T00:00:00Z");
    const sink = new JsonlSink({
      name: "file",
      path: join(out, "audit.jsonl"),
      maxBytes: 2048,
      maxAgeMs: 60_000,
      clock: () => new Date(now),
    });
    const event = (seq: number) =>
      recordEvent({
        v: 1,
        chain: "main",
        seq,
        ts: new Date(now).toISOString(),
        hash: "0".repeat(64),
        kind: "alert",
        session: null,
        agent: null,
        callId: null,
        data: { what: "x".repeat(100) },
      });
    for (let seq = 1; seq <= 30; seq++) await sink.send([event(seq)]);
    const bySize = readdirSync(out).length;
    expect(bySize).toBeGreaterThan(2);
    now += 61_000;
    await sink.send([event(31)]);
    expect(readdirSync(out).length).toBe(bySize + 1);
    await sink.send([
      checkpointEvent({ chain: "main", seq: 31, hash: "a", ts: "t", signature: "s", keyId: "k" }),
    ]);
    await sink.close();
    const ids = lines(out).map((l) => l.id);
    expect(new Set(ids).size).toBe(32);
    expect(ids).toHaveLength(32);
    expect(readFileSync(join(out, "audit.jsonl"), "utf8").trim().split("\n")).toHaveLength(2);
  });
});
