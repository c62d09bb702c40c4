// Rewrites the records reference in docs/architecture.md from the record schemas (run after `npm run build`).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REFERENCE_BEGIN, REFERENCE_END, recordsReference } from "../dist/ledger/records/reference.js";

const doc = join(import.meta.dirname, "../docs/architecture.md");
const text = readFileSync(doc, "utf8");
const begin = text.indexOf(REFERENCE_BEGIN);
const end = text.indexOf(REFERENCE_END);
if (begin < 0 || end < begin) throw new Error("docs/architecture.md has no records reference markers");
writeFileSync(
  doc,
  `${text.slice(0, begin + REFERENCE_BEGIN.length)}\n\n${recordsReference()}\n\n${text.slice(end)}`,
);
