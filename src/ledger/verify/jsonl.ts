// Verifies a JSONL export: header line, record and checkpoint lines in chain order, end line with the totals.
import { createReadStream } from "node:fs";
import { Checker } from "./checker.js";
import { keyFromSpkiBase64, NO_KEY, type VerifyKey } from "./key.js";
import type { VerifyResult } from "./result.js";

const MAX_LINE = 64 * 1024 * 1024;

type Obj = Record<string, unknown>;
type FileProblem = "malformed" | "truncated" | "count-mismatch" | "unreadable";

/** Reads `path` as a stream, line by line; never throws on bad content. `given` overrides the header's key. */
export async function checkJsonl(path: string, given: VerifyKey | null): Promise<VerifyResult> {
  const lines = new LineState(given);
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let rest = "";
  let lineNo = 0;
  const stream = createReadStream(path, { highWaterMark: 1 << 16 });
  try {
    for await (const chunk of stream) {
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
  #given: VerifyKey | null;
  #phase: "header" | "entries" | "done" = "header";
  #endLine: Obj | null = null;

  constructor(given: VerifyKey | null) {
    this.#given = given;
  }

  line(text: string, lineNo: number): boolean {
    // Lines are single JSON objects with no padding; a stray byte turned into whitespace must not pass.
    if (!text.startsWith("{") || !text.endsWith("}"))
      return this.fail("malformed", "not a JSON object line", lineNo);
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch {
      return this.fail("malformed", "not valid JSON", lineNo);
    }
    const type = (o as Obj).type;
    if (this.#phase === "header") return this.#header(o as Obj, lineNo);
    if (this.#phase === "done") return this.fail("malformed", "content after the end line", lineNo);
    if (type === "record") return this.#checker.record(o, lineNo, true);
    if (type === "checkpoint") return this.#checker.checkpoint(o, lineNo, true);
    if (type === "end") {
      this.#phase = "done";
      this.#endLine = o as Obj;
      const keys = Object.keys(o as Obj)
        .sort()
        .join(",");
      if (keys !== "checkpoints,records,type")
        return this.fail("malformed", "end line has unexpected fields", lineNo);
      return true;
    }
    return this.fail("malformed", "unknown line type", lineNo);
  }

  end(): VerifyResult {
    if (this.#phase === "header") return this.stop("malformed", "empty export (no header line)", 1);
    const result = this.#checker.finish();
    if (!result.ok) return result;
    const end = this.#endLine;
    if (end === null) return this.stop("truncated", "the export ends without its end line");
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
    if (o.type !== "warden.ledger" || keys !== "publicKey,type,version") {
      return this.fail("malformed", "the first line is not a warden.ledger header", lineNo);
    }
    if (o.version !== 1) {
      this.#checker.fail(
        "unsupported-version",
        null,
        null,
        `export version ${String(o.version)} is not 1`,
        lineNo,
      );
      return false;
    }
    const headerKey = o.publicKey;
    if (headerKey !== null && typeof headerKey !== "string")
      return this.fail("malformed", "publicKey is not a string", lineNo);
    // A header key is parsed even when a key is given, so a damaged header never passes unnoticed.
    const fromHeader = headerKey === null ? NO_KEY : keyFromSpkiBase64(headerKey, "beside-ledger");
    const key: VerifyKey | string = this.#given ?? fromHeader;
    if (typeof fromHeader === "string" || typeof key === "string") {
      const why = typeof key === "string" ? key : (fromHeader as string);
      this.#checker = new Checker(typeof key === "string" ? NO_KEY : key);
      this.#checker.fail("key-invalid", null, null, why, lineNo);
      return false;
    }
    this.#checker = new Checker(key);
    this.#phase = "entries";
    return true;
  }
}
