// docs/architecture.md lists each record kind's fields as the schemas define them: the doc cannot drift.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RECORD_KINDS } from "../../src/ledger/index.js";
import { REFERENCE_BEGIN, REFERENCE_END, recordsReference } from "../../src/ledger/records/reference.js";

describe("the records reference in docs/architecture.md", () => {
  it("is the one the schemas render (else run npm run docs:records)", () => {
    const doc = readFileSync(join(import.meta.dirname, "../../docs/architecture.md"), "utf8");
    const begin = doc.indexOf(REFERENCE_BEGIN);
    const end = doc.indexOf(REFERENCE_END);
    expect(begin).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(begin);
    expect(doc.slice(begin + REFERENCE_BEGIN.length, end).trim()).toBe(recordsReference());
  });

  it("names every kind, with the fields a writer must give unmarked", () => {
    const reference = recordsReference();
    for (const kind of RECORD_KINDS) expect(reference).toContain(`- \`${kind}\`: {`);
    expect(reference).toContain("`tool`: string, `args`: JSON, `decision`: {effect:");
    expect(reference).toContain("`principal`?: Principal[]");
  });
});
