// Property tests of the record schemas in `warden verify`: for any hash-valid chain whose records' data is
// mutated at random, verify never throws, and fails as malformed-data exactly at the first record whose
// data its kind's schema refuses (chain and seq); a chain of well-formed records verifies.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { JsonObject, JsonValue } from "../../src/json.js";
import { recordHash } from "../../src/ledger/hash.js";
import { checkRecordData, GENESIS_HASH, type RecordKind, verifyRecords } from "../../src/ledger/index.js";

/** One well-formed record of every kind, as this version writes them (the versioned fixture). */
const SAMPLES = readFileSync(join(import.meta.dirname, "fixtures/v1-kinds.jsonl"), "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => JSON.parse(l) as { type: string; kind: RecordKind; data: JsonObject })
  .filter((o) => o.type === "record");

type Mutation = { field: number; value: unknown } | null;

const item = fc.record({
  sample: fc.nat({ max: SAMPLES.length - 1 }),
  // null: left as written; else one top-level field replaced by any JSON value, or removed (undefined).
  mutation: fc.option(fc.record({ field: fc.nat(), value: fc.option(fc.jsonValue(), { nil: undefined }) }), {
    freq: 2,
  }),
});

function dataOf(sample: number, mutation: Mutation): JsonObject {
  const data: JsonObject = structuredClone(SAMPLES[sample]!.data);
  if (mutation === null) return data;
  const keys = Object.keys(data);
  const key = keys[mutation.field % keys.length]!;
  if (mutation.value === undefined) delete data[key];
  else data[key] = mutation.value as JsonValue;
  return data;
}

function chainOf(items: { kind: RecordKind; data: JsonObject }[]): unknown[] {
  let prev = GENESIS_HASH;
  return items.map(({ kind, data }, i) => {
    const body = {
      v: 1 as const,
      chain: "main",
      seq: i + 1,
      ts: new Date(Date.UTC(2026, 11, 1, 9, 0, i)).toISOString(),
      kind,
      session: "s-1",
      agent: "bot",
      callId: null,
      data,
    };
    prev = recordHash(prev, body);
    return { type: "record", ...body, hash: prev };
  });
}

describe("verify against the record schemas", () => {
  it("fails as malformed-data at the first record its schema refuses, for any mutation", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 12 }), async (picked) => {
        const items = picked.map((p) => ({
          kind: SAMPLES[p.sample]!.kind,
          data: dataOf(p.sample, p.mutation),
        }));
        const firstBad = items.findIndex((r) => !checkRecordData(1, r.kind, r.data).ok);
        const result = await verifyRecords(chainOf(items));
        if (firstBad === -1) expect(result).toMatchObject({ ok: true, records: items.length });
        else
          expect(result).toMatchObject({
            ok: false,
            chain: "main",
            seq: firstBad + 1,
            problem: "malformed-data",
          });
      }),
      { numRuns: 200 },
    );
  });

  it("refuses a required field of the wrong type or missing, whatever the kind", () => {
    for (const sample of SAMPLES) {
      const schemaRequired = Object.keys(sample.data).filter((key) => {
        const without: JsonObject = { ...sample.data };
        delete without[key];
        return !checkRecordData(1, sample.kind, without).ok;
      });
      // `args` holds any JSON (the call's arguments); every other field has a type an array is not.
      for (const key of schemaRequired.filter((k) => k !== "args")) {
        const wrong = checkRecordData(1, sample.kind, { ...sample.data, [key]: [[]] });
        expect(wrong.ok, `${sample.kind}.${key}`).toBe(false);
      }
    }
    // Required fields exist for every kind but the open alert.
    const withRequired = SAMPLES.filter((s) =>
      Object.keys(s.data).some((k) => {
        const without: JsonObject = { ...s.data };
        delete without[k];
        return !checkRecordData(1, s.kind, without).ok;
      }),
    ).map((s) => s.kind);
    expect(new Set(withRequired)).toEqual(new Set(SAMPLES.map((s) => s.kind).filter((k) => k !== "alert")));
  });
});
