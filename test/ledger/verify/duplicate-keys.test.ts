// A JSON object naming a key twice: the parser keeps the last, so a verified line could show a reader other data.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hasDuplicateKey } from "../../../src/json.js";
import { exportJsonl, verifyDatabase, verifyJsonl } from "../../../src/ledger/index.js";
import { appendSerially, sqliteLedger, tempDir } from "../helpers.js";

async function exported() {
  const dir = tempDir();
  const { ledger, db, signingKey } = await sqliteLedger(dir, { checkpointEvery: 4 });
  await appendSerially(ledger, 6);
  await ledger.close();
  const path = join(dir, "ledger.jsonl");
  await exportJsonl(db, path, { signingKey });
  return { db, path, lines: readFileSync(path, "utf8").trimEnd().split("\n") };
}

describe("hasDuplicateKey", () => {
  it("finds a repeated key at any depth, escaped spellings included, and nothing else", () => {
    expect(hasDuplicateKey('{"a":1,"a":2}')).toBe(true);
    expect(hasDuplicateKey('{"x":[{"b":1},{"c":{"d":1,"d":1}}]}')).toBe(true);
    expect(hasDuplicateKey('{"a":1,"\\u0061":2}')).toBe(true);
    expect(hasDuplicateKey('{"a":{"a":1},"b":["a","a"],"c":"\\"a\\":1,\\"a\\""}')).toBe(false);
    expect(hasDuplicateKey('[{"a":1},{"a":1}]')).toBe(false);
  });

  it("property: JSON.stringify never repeats a key; one key written twice is always found", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), (value, key) => {
        expect(hasDuplicateKey(JSON.stringify(value))).toBe(false);
        const inner = JSON.stringify({ [key]: value });
        expect(hasDuplicateKey(`{"w":[${inner.slice(0, -1)},${inner.slice(1)}]}`)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe("verify refuses a repeated key", () => {
  it("in a record line of an export, inside its data or at its top, naming the line", async () => {
    const { path, lines } = await exported();
    const at = lines.findIndex((l) => l.includes('"tool":"send_email"'));
    const inData = lines.with(
      at,
      lines[at]!.replace('"tool":"send_email"', '"tool":"send_money","tool":"send_email"'),
    );
    writeFileSync(`${path}.data`, `${inData.join("\n")}\n`);
    expect(await verifyJsonl(`${path}.data`)).toMatchObject({
      ok: false,
      problem: "malformed",
      line: at + 1,
    });
    const atTop = lines.with(
      at,
      lines[at]!.replace('{"type":"record",', '{"type":"record","kind":"session.end",'),
    );
    writeFileSync(`${path}.top`, `${atTop.join("\n")}\n`);
    expect(await verifyJsonl(`${path}.top`)).toMatchObject({ ok: false, problem: "malformed", line: at + 1 });
    // The unedited export passes.
    expect(await verifyJsonl(path)).toMatchObject({ ok: true });
  });

  it("in a witness file", async () => {
    const { path, lines } = await exported();
    const at = lines.findIndex((l) => l.includes('"type":"checkpoint"'));
    const witness = lines.with(
      at,
      lines[at]!.replace('{"type":"checkpoint",', '{"type":"checkpoint","seq":1,'),
    );
    writeFileSync(`${path}.witness`, `${witness.join("\n")}\n`);
    expect(await verifyJsonl(path, { against: [`${path}.witness`] })).toMatchObject({
      ok: false,
      problem: "unreadable",
    });
  });

  it("in a database record's data, even with a hash over that exact text", async () => {
    const { db } = await exported();
    const sql = new Database(db);
    const row = sql.prepare("SELECT * FROM records WHERE seq = 6").get() as Record<
      string,
      string | number | null
    >;
    const data = (row.data as string).replace(/^\{/, '{"tool":"send_money",');
    const prev = (sql.prepare("SELECT hash FROM records WHERE seq = 5").get() as { hash: string }).hash;
    // A foreign writer hashes the stored text as it is (the writer's recordHash would canonicalize it first).
    const body = `{"agent":${JSON.stringify(row.agent)},"callId":${JSON.stringify(row.call_id)},"chain":"main","data":${data},"kind":${JSON.stringify(row.kind)},"seq":6,"session":${JSON.stringify(row.session)},"ts":${JSON.stringify(row.ts)},"v":1}`;
    const hash = createHash("sha256").update(prev).update(body).digest("hex");
    sql.prepare("UPDATE records SET data = ?, hash = ? WHERE seq = 6").run(data, hash);
    sql.prepare("DELETE FROM checkpoints WHERE seq >= 6").run();
    sql.close();
    expect(await verifyDatabase(db, { now: new Date(Date.parse(row.ts as string) + 1000) })).toMatchObject({
      ok: false,
      problem: "malformed-data",
      seq: 6,
    });
  });
});
