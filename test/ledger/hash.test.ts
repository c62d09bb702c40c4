// The hash rule itself, checked against a hand-built canonical form, and the versioned export fixture.
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/digest.js";
import { recordHash } from "../../src/ledger/hash.js";
import { GENESIS_HASH, type LedgerRecord, verifyJsonl } from "../../src/ledger/index.js";

const record: Omit<LedgerRecord, "hash"> = {
  v: 1,
  chain: "main",
  seq: 1,
  ts: "2024-05-01T12:00:00.000Z",
  kind: "call.intent",
  session: "s1",
  agent: "support-bot",
  callId: "c1",
  data: { tool: "send_email", args: { to: "é@x", n: 1e21, z: [true, null, -0] }, "\u00e9": 1, a: 0.5 },
};

describe("record hash", () => {
  it("is SHA-256 of prevHash followed by RFC 8785 canonical JSON of the record without hash", () => {
    // Written out by hand: keys sorted by UTF-16 code units, numbers in ECMAScript form, no whitespace.
    const canonical =
      '{"agent":"support-bot","callId":"c1","chain":"main","data":{"a":0.5,"args":{"n":1e+21,"to":"é@x","z":[true,null,0]},"tool":"send_email","é":1},"kind":"call.intent","seq":1,"session":"s1","ts":"2024-05-01T12:00:00.000Z","v":1}';
    expect(canonicalJson(record)).toBe(canonical);
    const expected = createHash("sha256")
      .update(GENESIS_HASH + canonical, "utf8")
      .digest("hex");
    expect(recordHash(GENESIS_HASH, record)).toBe(expected);
  });

  it("ignores properties that are not record fields", () => {
    const withExtra = { ...record, hash: "x", extra: 1 } as unknown as LedgerRecord;
    expect(recordHash(GENESIS_HASH, withExtra)).toBe(recordHash(GENESIS_HASH, record));
  });

  it("changes with the previous hash", () => {
    expect(recordHash("1".repeat(64), record)).not.toBe(recordHash(GENESIS_HASH, record));
  });
});

describe("versioned fixtures", () => {
  it("an export written by format v1 still verifies", async () => {
    const path = fileURLToPath(new URL("./fixtures/v1-export.jsonl", import.meta.url));
    expect(await verifyJsonl(path)).toMatchObject({
      ok: true,
      records: 6,
      checkpoints: 2,
      keySource: "beside-ledger",
    });
  });
});
