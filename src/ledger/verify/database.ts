// Verifies a SQLite ledger file: opened read-only, raw rows read in (chain, seq) pages inside one snapshot.
import { existsSync, readdirSync } from "node:fs";
import { join, parse } from "node:path";
import Database from "better-sqlite3";
import { defaultKeyPaths } from "../keys.js";
import { Checker } from "./checker.js";
import type { VerifyKey } from "./key.js";
import type { VerifyResult } from "./result.js";
import type { SealingRules } from "./sealing.js";

const PAGE = 8192;
const RECORD_SQL = "SELECT chain, seq, v, ts, kind, session, agent, call_id, data, hash FROM records";

export type Cell = string | number | bigint | Buffer | null;

/** Runs the checker over the database at `path`; `key` was resolved by the caller. */
export async function checkDatabase(
  path: string,
  key: VerifyKey,
  rules: SealingRules,
  onProgress?: (done: number, total: number) => void,
): Promise<VerifyResult> {
  const checker = new Checker(key, rules);
  if (!existsSync(path)) return unreadable(checker, "no ledger database at this path");
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch {
    // Also the case on read-only media: SQLite needs to create the WAL index (-shm) file beside it.
    return unreadable(
      checker,
      "cannot open the ledger database (on read-only media, copy it somewhere writable)",
    );
  }
  try {
    // One read transaction: checkpoints and records are seen as of the same instant, even with a live writer.
    db.exec("BEGIN");
    const foreign = foreignTables(db);
    if (foreign !== null) return unreadable(checker, foreign);
    // Files written before checkpoint format 2 (schema 4) have no v, chains, cadence columns.
    const columns = db.prepare("SELECT name FROM pragma_table_info('checkpoints')").pluck().all();
    const v2 = columns.includes("v") ? "v, chains, cadence" : "1, NULL, NULL";
    const checkpoints = groupCheckpoints(
      db
        .prepare(`SELECT chain, seq, hash, ts, signature, key_id, ${v2} FROM checkpoints ORDER BY chain, seq`)
        .raw(true)
        .all() as Cell[][],
    );
    const first = db.prepare(`${RECORD_SQL} ORDER BY chain, seq LIMIT ?`).raw(true);
    const next = db
      .prepare(`${RECORD_SQL} WHERE (chain, seq) > (?, ?) ORDER BY chain, seq LIMIT ?`)
      .raw(true);
    let rows = first.all(PAGE) as Cell[][];
    const position: PagePosition = { chain: null };
    const total = onProgress ? Number(db.prepare("SELECT count(*) FROM records").pluck().get()) : 0;
    let done = 0;
    while (rows.length > 0) {
      if (!checkPage(checker, checkpoints, rows, position)) return checker.finish();
      done += rows.length;
      onProgress?.(done, total);
      const last = rows.at(-1)!;
      rows = next.all(last[0], last[1], PAGE) as Cell[][];
      // Let the event loop breathe between pages when verifying a live server's database.
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (const c of checkpoints.keys()) emitRest(checker, checkpoints, c);
    const result = checker.finish();
    if (!result.ok) return result;
    // In the same snapshot: the index as it stood with the records just verified.
    const stray = indexMismatch(db);
    db.exec("COMMIT");
    if (stray === null) return result;
    checker.fail("index-mismatch", stray.chain, stray.seq, stray.message);
    return checker.finish();
  } catch {
    return unreadable(checker, "cannot read the ledger tables");
  } finally {
    db.close();
  }
}

/**
 * Why the file's `records` or `checkpoints` are not the tables Warden creates, or null. A view (or a
 * virtual table) computes its rows when read, so a crafted file could make the read never end; a
 * records table without its primary key (chain, seq) could hold two rows at one position, and the
 * paged read, which resumes past the last (chain, seq) it saw, would check only one of them.
 */
function foreignTables(db: Database.Database): string | null {
  const found = db
    .prepare("SELECT name, type, sql FROM sqlite_master WHERE name IN ('records', 'checkpoints')")
    .all() as { name: string; type: string; sql: string | null }[];
  for (const name of ["records", "checkpoints"]) {
    const t = found.find((f) => f.name === name);
    if (!t) return `no ${name} table: not a Warden ledger`;
    if (t.type !== "table" || !/^CREATE TABLE /i.test(t.sql ?? ""))
      return `${name} is a ${t.type === "table" ? "virtual table" : t.type}, not a table: not a ledger Warden wrote`;
  }
  const key = db
    .prepare("SELECT name FROM pragma_table_info('records') WHERE pk > 0 ORDER BY pk")
    .pluck()
    .all();
  if (key.join(",") !== "chain,seq")
    return "the records table has no primary key (chain, seq): not a ledger Warden wrote";
  return null;
}

// The query index (stores/sqlite-index.ts) is not hashed, yet listings and filters read it: each of its
// rows must hold its record's own values, computed as the writer computes them, and every record up to
// the seq the index claims to cover (record_index_heads) must be in it.
const INDEX_STRAY_SQL = `SELECT i.chain, i.seq, r.chain IS NULL AS orphan FROM record_index i
  LEFT JOIN records r ON r.chain = i.chain AND r.seq = i.seq
  WHERE r.chain IS NULL OR i.ts IS NOT r.ts OR i.kind IS NOT r.kind OR i.session IS NOT r.session
    OR i.agent IS NOT r.agent OR i.call_id IS NOT r.call_id
    OR i.tool IS NOT json_extract(r.data, '$.tool')
    OR i.effect IS NOT json_extract(r.data, '$.decision.effect')
  ORDER BY i.chain, i.seq LIMIT 1`;
const INDEX_MISSING_SQL = `SELECT r.chain, r.seq FROM record_index_heads h
  JOIN records r ON r.chain = h.chain AND r.seq <= h.seq
  WHERE NOT EXISTS (SELECT 1 FROM record_index i WHERE i.chain = r.chain AND i.seq = r.seq)
  ORDER BY r.chain, r.seq LIMIT 1`;

/** Where the query index disagrees with the verified records, or null (also for files before the index). */
function indexMismatch(db: Database.Database): { chain: string; seq: number; message: string } | null {
  const tables = db
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('record_index', 'record_index_heads')",
    )
    .pluck()
    .all();
  if (!tables.includes("record_index")) return null;
  const stray = db.prepare(INDEX_STRAY_SQL).get() as
    | { chain: string; seq: number; orphan: number }
    | undefined;
  if (stray) {
    const what = stray.orphan
      ? "the query index lists a record the ledger does not hold"
      : "the query index holds other values than this record (time, kind, session, agent, call id, tool or effect)";
    return {
      chain: stray.chain,
      seq: stray.seq,
      message: `${what}: listings and filters would show other facts than the signed records`,
    };
  }
  if (!tables.includes("record_index_heads")) return null;
  const missing = db.prepare(INDEX_MISSING_SQL).get() as { chain: string; seq: number } | undefined;
  if (!missing) return null;
  return {
    ...missing,
    message:
      "the query index lacks this record though it claims to cover it: listings and filters would not show it",
  };
}

/** The public key files beside the database: ledger.pub for ledger.db, then ledger.retired-*.pub oldest first. */
export function keyFileBeside(path: string): string[] {
  const pub = defaultKeyPaths(path).publicKey;
  const { dir, name } = parse(path);
  const retired = readdirSync(dir || ".")
    .filter((f) => f.startsWith(`${name}.retired-`) && f.endsWith(".pub"))
    .sort()
    .map((f) => join(dir, f));
  return [...(existsSync(pub) ? [pub] : []), ...retired];
}

export interface PendingCheckpoints {
  rows: Cell[][];
  next: number;
}

export function groupCheckpoints(rows: Cell[][]): Map<string, PendingCheckpoints> {
  const out = new Map<string, PendingCheckpoints>();
  for (const row of rows) {
    const chain = String(row[0]);
    let p = out.get(chain);
    if (!p) {
      p = { rows: [], next: 0 };
      out.set(chain, p);
    }
    p.rows.push(row);
  }
  return out;
}

export function emitUpTo(
  checker: Checker,
  all: Map<string, PendingCheckpoints>,
  chain: string,
  seq: number,
): void {
  const p = all.get(chain);
  while (p && p.next < p.rows.length && Number(p.rows[p.next]![1]) <= seq) {
    checker.checkpoint(toCheckpoint(p.rows[p.next++]!));
  }
}

/** Where a paged read stands: the chain of the last row checked. */
export interface PagePosition {
  chain: string | null;
}

/**
 * Feeds one page of raw record rows (chain, seq, v, ts, kind, session, agent, call_id, data, hash) to
 * the checker, each chain's checkpoints after the record they seal. False once the checker has failed.
 */
export function checkPage(
  checker: Checker,
  checkpoints: Map<string, PendingCheckpoints>,
  rows: Cell[][],
  position: PagePosition,
): boolean {
  for (const row of rows) {
    const [rowChain, seq, v, ts, kind, session, agent, callId, data, hash] = row;
    if (rowChain !== position.chain) {
      if (position.chain !== null) emitRest(checker, checkpoints, position.chain);
      position.chain = typeof rowChain === "string" ? rowChain : null;
      // A chain whose early records were archived resumes at a checkpoint below its first record.
      if (position.chain !== null && typeof seq === "number")
        emitUpTo(checker, checkpoints, position.chain, seq - 1);
    }
    checker.row(rowChain, seq, v, ts, kind, session, agent, callId, data, hash);
    if (position.chain !== null && typeof seq === "number")
      emitUpTo(checker, checkpoints, position.chain, seq);
    if (checker.failure) return false;
  }
  return true;
}

export function emitRest(checker: Checker, all: Map<string, PendingCheckpoints>, chain: string): void {
  const p = all.get(chain);
  while (p && p.next < p.rows.length) checker.checkpoint(toCheckpoint(p.rows[p.next++]!));
}

/** A checkpoint row (chain, seq, hash, ts, signature, key_id, v, chains, cadence) as the checker takes it. */
function toCheckpoint(row: Cell[]) {
  const [chain, seq, hash, ts, signature, keyId, v, chains, cadence] = row;
  const base = { chain, seq, hash, ts, signature, keyId };
  if (v === 1 || v === null || v === undefined) return base;
  return { ...base, v: Number(v), chains: parseJson(chains), cadence: parseJson(cadence) };
}

/** Stored JSON text; anything unparseable stays as is, so the checker reports it as malformed. */
function parseJson(cell: Cell | undefined): unknown {
  if (typeof cell !== "string") return cell;
  try {
    return JSON.parse(cell);
  } catch {
    return cell;
  }
}

function unreadable(checker: Checker, message: string): VerifyResult {
  checker.fail("unreadable", null, null, message);
  return checker.finish();
}
