// Reads checkpoints taken elsewhere (a JSONL export, or a JSONL sink's copy of the export events) as witnesses for verify --against.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { hasDuplicateKey } from "../../json.js";
import { isObject, readCheckpoint } from "./checkpoint.js";
import type { VerifyKey } from "./key.js";

/** chain → seq → the hash that checkpoint signed. */
export type Witnesses = Map<string, Map<number, string>>;

/**
 * Every checkpoint line of `path` as an export line: export lines (`{"type":"checkpoint", chain, seq,
 * …}`) and export events as the JSONL sink writes them (`{"type":"checkpoint", chain, seq, hash, ts,
 * data: {signature, keyId, …}}`). Other lines are skipped. A string says why the file cannot serve as
 * a witness (unreadable, not JSON lines, no checkpoint). Signatures are checked by witnessMap.
 */
export async function readWitnessLines(path: string): Promise<unknown[] | string> {
  const out: unknown[] = [];
  let lineNo = 0;
  const stream = createReadStream(path, { encoding: "utf8" });
  try {
    for await (const text of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
      lineNo++;
      if (text.trim() === "") continue;
      let o: unknown;
      try {
        o = JSON.parse(text);
      } catch {
        return `line ${lineNo} of the witness file is not JSON`;
      }
      if (hasDuplicateKey(text))
        return `line ${lineNo} of the witness file names a key twice in one JSON object`;
      if (isObject(o) && o.type === "checkpoint") out.push(asExportLine(o));
    }
  } catch {
    return "cannot read the witness file";
  } finally {
    stream.destroy();
  }
  return out.length > 0 ? out : "the witness file holds no checkpoint";
}

/** The witnessed checkpoints, each signature checked with the verifying key; a string says which one fails. */
export function witnessMap(lines: readonly unknown[], key: VerifyKey): Witnesses | string {
  const out: Witnesses = new Map();
  for (const line of lines) {
    const read = readCheckpoint(line, true, key);
    if ("problem" in read) return `a witnessed checkpoint: ${read.message}`;
    let seqs = out.get(read.chain);
    if (!seqs) {
      seqs = new Map();
      out.set(read.chain, seqs);
    }
    const earlier = seqs.get(read.seq);
    if (earlier !== undefined && earlier !== read.hash)
      return `the witnesses hold two signed hashes for ${read.chain}#${read.seq}`;
    seqs.set(read.seq, read.hash);
  }
  return out;
}

/** An export event (`id`, `data` holding the signature) as the export line it stands for. */
function asExportLine(o: Record<string, unknown>): unknown {
  if (!Object.hasOwn(o, "id") || !isObject(o.data)) return o;
  const { chain, seq, hash, ts } = o;
  return { type: "checkpoint", chain, seq, hash, ts, ...o.data };
}
