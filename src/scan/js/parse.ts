// Parses JS/TS with oxc-parser; a file with syntax errors becomes a located FileError.

import { type ParseResult, parseSync } from "oxc-parser";
import type { LineIndex } from "../location.js";
import type { FileError } from "../types.js";

export type Program = ParseResult["program"];

export type Parsed = { ok: true; program: Program } | { ok: false; error: FileError };

export function parseJs(rel: string, text: string, lines: LineIndex): Parsed {
  const result = parseSync(rel, text, { preserveParens: false });
  const fatal = result.errors.find((e) => e.severity === "Error");
  if (!fatal) return { ok: true, program: result.program };
  const pos = lines.at(fatal.labels[0]?.start ?? 0);
  return { ok: false, error: { file: rel, ...pos, kind: "parse", message: fatal.message } };
}
