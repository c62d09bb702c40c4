// The ledger verifier's entry points: a SQLite file, a PostgreSQL database, a JSONL export, or a stream of records.
import type { KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { splitSchema } from "./stores/postgres-url.js";
import { Checker } from "./verify/checker.js";
import { checkDatabase, keyFileBeside } from "./verify/database.js";

/** The public key files beside a SQLite ledger: ledger.pub and the keys rotations retired. */
export { keyFileBeside as publicKeyFilesBeside } from "./verify/database.js";

import type { LedgerStore } from "./types.js";
import { checkJsonl } from "./verify/jsonl.js";
import { givenKey, keyFromPem, NO_KEY, type VerifyKey, withKeys } from "./verify/key.js";
import { checkPostgres } from "./verify/postgres.js";
import { type RangeVerification, verifyRange } from "./verify/range.js";
import type { KeySource, VerifyResult } from "./verify/result.js";
import { type Cadence, DEFAULT_CADENCE, type SealingRules } from "./verify/sealing.js";
import { readWitnessLines } from "./verify/witness.js";

export type { RangeSegment, RangeVerification } from "./verify/range.js";
export type {
  ChainSummary,
  KeySource,
  VerifyFailure,
  VerifyOk,
  VerifyProblem,
  VerifyResult,
} from "./verify/result.js";

export interface VerifyOptions {
  /**
   * The public key to check checkpoints with, obtained out of band. Without it the key stored beside
   * the ledger is used, which proves less: whoever can rewrite the ledger can also replace that file.
   * A string is PEM text, or the path of a PEM file.
   */
  publicKey?: KeyObject | string | readonly (KeyObject | string)[];
  /**
   * When the unsealed tail's age is measured (default: now). An export is measured at its signed end
   * time instead.
   */
  now?: Date;
  /** The cadence held against chains with no format-2 checkpoint (default 1,000 records, 10 s). */
  cadence?: Cadence;
  /**
   * Files holding checkpoints taken elsewhere (a JSONL export, a JSONL sink's copy at a SIEM): every
   * checkpoint there must be here, over the same record, or verification fails.
   */
  against?: readonly string[];
  /**
   * Told how far verification is (a database: records checked of the records there; an export:
   * bytes read of the file's size), for a progress bar. It only observes: nothing it does changes the result.
   */
  onProgress?: (done: number, total: number) => void;
}

/** The rules every chain's end is held to; a string says why a witness file cannot be used. */
async function rulesOf(options: VerifyOptions): Promise<SealingRules | string> {
  const rules: SealingRules = { now: options.now ?? new Date(), cadence: options.cadence ?? DEFAULT_CADENCE };
  if (!options.against?.length) return rules;
  const witnesses: unknown[] = [];
  for (const path of options.against) {
    const lines = await readWitnessLines(path);
    if (typeof lines === "string") return `${path}: ${lines}`;
    witnesses.push(...lines);
  }
  return { ...rules, witnesses };
}

/**
 * Verifies a SQLite ledger file (opened read-only) and names the first bad record.
 *
 * @example
 * const result = await verifyDatabase(".warden/ledger.db", { publicKey: await loadPublicKey("ledger.pub") });
 * if (!result.ok) console.error(`${result.problem} at ${result.chain}#${result.seq}: ${result.message}`);
 */
export async function verifyDatabase(path: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  let key: VerifyKey | string = NO_KEY;
  if (options.publicKey) key = await resolveGiven(options.publicKey);
  else {
    // ledger.pub, then the keys a rotation retired (ledger.retired-<time>.pub), so old checkpoints verify.
    const found: VerifyKey[] = [];
    for (const pub of keyFileBeside(path)) {
      const pem = await readFile(pub, "utf8").catch(() => null);
      const k =
        pem === null ? "cannot read the public key beside the ledger" : keyFromPem(pem, "beside-ledger");
      if (typeof k === "string") {
        key = k;
        break;
      }
      found.push(k);
    }
    if (typeof key !== "string" && found.length > 0)
      key = { ...withKeys(found[0]!, found.slice(1)), retired: found.length > 1 };
  }
  if (typeof key === "string") return keyProblem(key, options.publicKey ? "given" : "beside-ledger");
  const rules = await rulesOf(options);
  return typeof rules === "string"
    ? witnessProblem(rules, key.source)
    : checkDatabase(path, key, rules, options.onProgress);
}

/**
 * Verifies a PostgreSQL ledger: every chain (one per instance) and the checkpoints of each, read in one
 * snapshot. Without `publicKey` the key the writers registered in the database is used.
 *
 * @example
 * const result = await verifyPostgres("postgres://auditor@db/warden", { publicKey: "ledger.pub" });
 * if (result.ok) for (const c of result.chains) console.log(c.chain, c.records);
 */
export async function verifyPostgres(
  url: string,
  options: VerifyOptions & { schema?: string } = {},
): Promise<VerifyResult> {
  const { connectionString, schema } = splitSchema(url, options.schema);
  const rules = await rulesOf(options);
  if (typeof rules === "string") return witnessProblem(rules, options.publicKey ? "given" : "beside-ledger");
  if (!options.publicKey) return checkPostgres(connectionString, schema, null, rules, options.onProgress);
  const key = await resolveGiven(options.publicKey);
  return typeof key === "string"
    ? keyProblem(key, "given")
    : checkPostgres(connectionString, schema, key, rules, options.onProgress);
}

/**
 * Verifies a JSONL export written by exportJsonl. Without `publicKey` the key in the export's header is used.
 *
 * @example
 * const result = await verifyJsonl("ledger.jsonl");
 * console.log(result.ok ? `${result.records} records intact` : result.problem);
 */
export async function verifyJsonl(path: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const rules = await rulesOf(options);
  if (typeof rules === "string") return witnessProblem(rules, options.publicKey ? "given" : "beside-ledger");
  if (!options.publicKey) return checkJsonl(path, null, rules, options.onProgress);
  const key = await resolveGiven(options.publicKey);
  return typeof key === "string"
    ? keyProblem(key, "given")
    : checkJsonl(path, key, rules, options.onProgress);
}

/**
 * Verifies records and checkpoints given as export lines (`{ type: "record", ...record }` and
 * `{ type: "checkpoint", ...checkpoint }`), in chain order with each checkpoint after its record.
 *
 * @example
 * const result = await verifyRecords(lines, { publicKey });
 */
export async function verifyRecords(
  source: Iterable<unknown> | AsyncIterable<unknown>,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const key = options.publicKey ? await resolveGiven(options.publicKey) : NO_KEY;
  if (typeof key === "string") return keyProblem(key, "given");
  const checker = new Checker(key);
  for await (const item of source) {
    const type = item !== null && typeof item === "object" ? (item as { type?: unknown }).type : undefined;
    if (type === "record") checker.record(item, undefined, true);
    else if (type === "checkpoint") checker.checkpoint(item, undefined, true);
    else checker.fail("malformed", null, null, "an item is neither a record nor a checkpoint");
    if (checker.failure) break;
  }
  return checker.finish();
}

/**
 * Verifies only the stretches between signed checkpoints that hold the records at `positions` (a page
 * of a listing), read through `store`, with the given public key(s); see verify/range.ts.
 *
 * @example
 * const range = await verifyStoreRange(store, records, { publicKey: "ledger.pub" });
 * console.log(range.state); // "sealed" when every record is covered by a valid checkpoint
 */
export async function verifyStoreRange(
  store: LedgerStore,
  positions: readonly { chain: string; seq: number }[],
  options: { publicKey: NonNullable<VerifyOptions["publicKey"]> },
): Promise<RangeVerification> {
  const key = await resolveGiven(options.publicKey);
  if (typeof key === "string") {
    return {
      state: "failed",
      segments: [],
      records: 0,
      failure: {
        ok: false,
        chain: null,
        seq: null,
        problem: "key-invalid",
        message: key,
        keySource: "given",
      },
      keySource: "given",
    };
  }
  return verifyRange(store, positions, key);
}

/** Every given key is trusted (several: the keys before and after a rotation); the first names the source. */
async function resolveGiven(
  publicKey: KeyObject | string | readonly (KeyObject | string)[],
): Promise<VerifyKey | string> {
  if (Array.isArray(publicKey)) {
    const keys: VerifyKey[] = [];
    for (const one of publicKey as readonly (KeyObject | string)[]) {
      const k = await resolveGiven(one);
      if (typeof k === "string") return k;
      keys.push(k);
    }
    if (keys.length === 0) return "no public key given";
    return withKeys(keys[0]!, keys.slice(1));
  }
  if (typeof publicKey !== "string") return givenKey(publicKey as KeyObject);
  if (publicKey.startsWith("-----BEGIN")) return keyFromPem(publicKey, "given");
  const pem = await readFile(publicKey, "utf8").catch(() => null);
  return pem === null ? "cannot read the given public key file" : keyFromPem(pem, "given");
}

function witnessProblem(message: string, keySource: KeySource): VerifyResult {
  return { ok: false, chain: null, seq: null, problem: "unreadable", message, keySource };
}

function keyProblem(message: string, keySource: KeySource): VerifyResult {
  return { ok: false, chain: null, seq: null, problem: "key-invalid", message, keySource };
}
