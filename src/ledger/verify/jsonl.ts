// Verifies a JSONL export: header line, record and checkpoint lines in chain order, end line with the totals (signed from format 2).
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { hasDuplicateKey, MAX_JSON_DEPTH, textDepthExceeds } from "../../json.js";
import { Checker } from "./checker.js";
import { checkEndLine } from "./end-line.js";
import { keyFromSpkiBase64, NO_KEY, type VerifyKey, withKeys } from "./key.js";
import type { VerifyProblem, VerifyResult } from "./result.js";
import type { SealingRules } from "./sealing.js";

/** The deepest a line Warden writes nests: a record, its data, and data nested up to MAX_JSON_DEPTH. */
const MAX_LINE_DEPTH = MAX_JSON_DEPTH + 2;

const MAX_LINE = 64 * 1024 * 1024;

type Obj = Record<string, unknown>;
type FileProblem = VerifyProblem;

/**
 * Reads `path` as a stream, line by line; never throws on bad content. `given` overrides the header's
 * key. `rules.now` applies to format-1 files; a format-2 file's tail age is measured at its signed end.
 */
export async function checkJsonl(
  path: string,
  given: VerifyKey | null,
  rules: SealingRules,
  onProgress?: (done: number, total: number) => void,
): Promise<VerifyResult> {
  const lines = new LineState(given, rules);
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let rest = "";
  let lineNo = 0;
  const stream = createReadStream(path, { highWaterMark: 1 << 16 });
  const size = onProgress
    ? await stat(path).then(
        (s) => s.size,
        () => 0,
      )
    : 0;
  let read = 0;
  try {
    for await (const chunk of stream) {
      read += (chunk as Buffer).length;
      onProgress?.(read, Math.max(size, read));
      let text: string;
      try {
        text = rest + decoder.decode(chunk as Buffer, { stream: true });
      } catch {
        return lines.stop("malformed", "the file is not valid UTF-8", lineNo + 1);
      }
      let start = 0;
      for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
        if (!lines.line(text.slice(start, nl), ++lineNo)) return lines.result();
        start = nl + 1;
      }
      rest = text.slice(start);
      if (rest.length > MAX_LINE) return lines.stop("malformed", "line too long", lineNo + 1);
    }
    try {
      rest += decoder.decode();
    } catch {
      return lines.stop("malformed", "the file is not valid UTF-8", lineNo + 1);
    }
  } catch {
    return lines.stop("unreadable", "cannot read the export file");
  } finally {
    stream.destroy();
  }
  // A final newline leaves an empty remainder; anything else is a last line without one.
  if (rest !== "" && !lines.line(rest, ++lineNo)) return lines.result();
  return lines.end();
}

/** The per-line state machine: header first, then entries, then exactly one end line. */
class LineState {
  #checker: Checker = new Checker(NO_KEY);
  readonly #given: VerifyKey | null;
  // Shared with the checker, which reads `now` only at the end: format 2 sets it from the end line.
  readonly #rules: SealingRules;
  #version: 1 | 2 = 2;
  #phase: "header" | "entries" | "done" = "header";
  #endLine: Obj | null = null;

  constructor(given: VerifyKey | null, rules: SealingRules) {
    this.#given = given;
    this.#rules = { ...rules };
  }

  line(text: string, lineNo: number): boolean {
    // Lines are single JSON objects with no padding; a stray byte turned into whitespace must not pass.
    if (!text.startsWith("{") || !text.endsWith("}"))
      return this.fail("malformed", "not a JSON object line", lineNo);
    // No line Warden writes nests deeper than a record's data may, plus the record around it.
    if (textDepthExceeds(text, MAX_LINE_DEPTH))
      return this.fail("malformed", `nested deeper than ${MAX_LINE_DEPTH} levels`, lineNo);
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch {
      return this.fail("malformed", "not valid JSON", lineNo);
    }
    // What is hashed or signed is the parsed value; a repeated key would show a reader another one.
    if (hasDuplicateKey(text))
      return this.fail("malformed", `line ${lineNo} names a key twice in one JSON object`, lineNo);
    // Export lines are JSON.stringify's output, which parsing and writing again gives back byte for byte.
    if (JSON.stringify(o) !== text)
      return this.fail("malformed", "not as Warden writes it (re-encoded)", lineNo);
    const type = (o as Obj).type;
    if (this.#phase === "header") return this.#header(o as Obj, lineNo);
    if (this.#phase === "done") return this.fail("malformed", "content after the end line", lineNo);
    if (type === "record") return this.#checker.record(o, lineNo, true);
    if (type === "checkpoint") {
      // A format-1 file holds format-1 checkpoints only: a downgraded copy cannot keep newer ones.
      if (this.#version === 1 && Object.hasOwn(o as Obj, "v"))
        return this.fail("malformed", "a format-2 checkpoint in a format-1 export", lineNo);
      return this.#checker.checkpoint(o, lineNo, true);
    }
    if (type === "end") {
      this.#phase = "done";
      this.#endLine = o as Obj;
      const keys = Object.keys(o as Obj)
        .sort()
        .join(",");
      const expected =
        this.#version === 1
          ? "checkpoints,records,type"
          : "chains,checkpoints,keyId,records,signature,ts,type";
      if (keys !== expected) return this.fail("malformed", "end line has unexpected fields", lineNo);
      this.#endLineNo = lineNo;
      return true;
    }
    return this.fail("malformed", "unknown line type", lineNo);
  }

  #endLineNo = 0;

  end(): VerifyResult {
    if (this.#phase === "header") return this.stop("malformed", "empty export (no header line)", 1);
    const end = this.#endLine;
    if (end === null) {
      // A problem inside the lines (a checkpoint past its records) says more than the missing end.
      const inside = this.#checker.finish();
      return inside.ok ? this.stop("truncated", "the export ends without its end line") : inside;
    }
    if (this.#version === 2) {
      // Before finish(): the signed end time is what the tail's age is measured at.
      const why = checkEndLine(end, this.#checker.key, this.#checker.heads());
      if (why !== null) {
        this.#checker.fail(why.problem, why.chain ?? null, why.seq ?? null, why.message, this.#endLineNo);
        return this.result();
      }
      // A key a rotation retired (or one no rotation names) must not vouch for the file's end either.
      const refused = this.#checker.keyRefusal(end.keyId as string);
      if (refused !== null) {
        this.#checker.fail(
          "end-signature",
          null,
          null,
          `the end line is signed with ${String(end.keyId)}: ${refused}`,
          this.#endLineNo,
        );
        return this.result();
      }
      this.#rules.now = new Date(end.ts as string);
    }
    const result = this.#checker.finish();
    if (!result.ok) return result;
    if (end.records !== result.records || end.checkpoints !== result.checkpoints) {
      return this.stop("count-mismatch", "the end line's totals differ from the lines in the file");
    }
    return result;
  }

  result(): VerifyResult {
    return this.#checker.finish();
  }

  /** Records a file-level problem and returns the failed result. */
  stop(problem: FileProblem, message: string, line?: number): VerifyResult {
    this.fail(problem, message, line);
    return this.result();
  }

  /** Records a file-level problem; returns false so a line handler can stop with it. */
  fail(problem: FileProblem, message: string, line?: number): false {
    return this.#checker.fail(problem, null, null, message, line);
  }

  #header(o: Obj, lineNo: number): boolean {
    const keys = Object.keys(o).sort().join(",");
    if (
      o.type !== "warden.ledger" ||
      (keys !== "publicKey,type,version" && keys !== "publicKey,retiredKeys,type,version")
    ) {
      return this.fail("malformed", "the first line is not a warden.ledger header", lineNo);
    }
    if (o.version !== 1 && o.version !== 2) {
      this.#checker.fail(
        "unsupported-version",
        null,
        null,
        `export version ${String(o.version)} is not 1 or 2`,
        lineNo,
      );
      return false;
    }
    this.#version = o.version;
    const headerKey = o.publicKey;
    if (headerKey !== null && typeof headerKey !== "string")
      return this.fail("malformed", "publicKey is not a string", lineNo);
    // A header key is parsed even when a key is given, so a damaged header never passes unnoticed.
    const current = headerKey === null ? NO_KEY : keyFromSpkiBase64(headerKey, "beside-ledger");
    const retired = retiredKeysOf(o.retiredKeys);
    // The header's keys are trusted as the files beside a database are: the file is consistent with itself.
    const fromHeader =
      typeof current === "string"
        ? current
        : typeof retired === "string"
          ? retired
          : { ...withKeys(current, retired), retired: retired.length > 0 };
    const key: VerifyKey | string = this.#given ?? fromHeader;
    if (typeof fromHeader === "string" || typeof key === "string") {
      const why = typeof key === "string" ? key : (fromHeader as string);
      this.#checker = new Checker(typeof key === "string" ? NO_KEY : key);
      this.#checker.fail("key-invalid", null, null, why, lineNo);
      return false;
    }
    this.#checker = new Checker(key, this.#rules);
    this.#phase = "entries";
    return true;
  }
}

/** The header's `retiredKeys` (keys a rotation retired), or why they cannot be read. */
function retiredKeysOf(value: unknown): VerifyKey[] | string {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length === 0 || value.some((k) => typeof k !== "string"))
    return "retiredKeys is not a list of keys";
  const keys: VerifyKey[] = [];
  for (const k of value as string[]) {
    const key = keyFromSpkiBase64(k, "beside-ledger");
    if (typeof key === "string") return `a retired key: ${key}`;
    keys.push(key);
  }
  return keys;
}
