// Verifies a PostgreSQL ledger: every chain, raw rows in (chain, seq) pages inside one read-only snapshot.
import pg from "pg";
import { Checker } from "./checker.js";
import { type Cell, checkPage, emitRest, groupCheckpoints, type PagePosition } from "./database.js";
import { keyFromSpkiBase64, NO_KEY, type VerifyKey } from "./key.js";
import type { VerifyResult } from "./result.js";
import type { SealingRules } from "./sealing.js";

const PAGE = 8192;
// seq as text, parsed here: the verifier does not rely on the writer's connection settings.
const RECORD_SQL =
  "SELECT chain, seq::text AS seq_text, v, ts, kind, session, agent, call_id, data, hash FROM records";
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Runs the checker over every chain in `schema`. `key` null: use the key the writers registered
 * in the database (source "beside-ledger": it shows only that the ledger agrees with itself).
 */
export async function checkPostgres(
  connectionString: string,
  schema: string,
  key: VerifyKey | null,
  rules: SealingRules,
  onProgress?: (done: number, total: number) => void,
): Promise<VerifyResult> {
  if (!SCHEMA_NAME.test(schema)) return unreadable(new Checker(key ?? NO_KEY), "bad schema name");
  const client = new pg.Client({
    connectionString,
    options: `-c search_path="${schema}"`,
    connectionTimeoutMillis: 10_000,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch {
    return unreadable(new Checker(key ?? NO_KEY), "cannot connect to the ledger database");
  }
  let checker = new Checker(key ?? NO_KEY, rules);
  try {
    // One snapshot: checkpoints and records as of the same instant, while instances keep writing.
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (key === null) {
      const keys = await client.query<{ public_key: string }>(
        "SELECT public_key FROM signing_keys ORDER BY added_at, key_id",
      );
      if (keys.rows.length > 1) return unreadable(checker, "the database lists several signing keys");
      const found = keys.rows[0] ? keyFromSpkiBase64(keys.rows[0].public_key, "beside-ledger") : NO_KEY;
      if (typeof found === "string") {
        return {
          ok: false,
          chain: null,
          seq: null,
          problem: "key-invalid",
          message: found,
          keySource: "beside-ledger",
        };
      }
      checker = new Checker(found, rules);
    }
    // Schemas before migration 5 have no v, chains, cadence columns (format-1 checkpoints only).
    const v2 = await client.query(
      "SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'checkpoints' AND column_name = 'v'",
      [schema],
    );
    const cps = await client.query({
      text: `SELECT chain, seq::text AS seq_text, hash, ts, signature, key_id, ${
        v2.rowCount ? "v, chains, cadence" : "1, NULL, NULL"
      } FROM checkpoints ORDER BY chain, seq`,
      rowMode: "array",
    });
    const checkpoints = groupCheckpoints(cps.rows.map(numberAt1));
    let rows = (
      await client.query({
        text: `${RECORD_SQL} ORDER BY chain, seq LIMIT $1`,
        values: [PAGE],
        rowMode: "array",
      })
    ).rows.map(numberAt1);
    const position: PagePosition = { chain: null };
    // In the same snapshot as the rows, so the count matches what is read.
    const total = onProgress
      ? Number((await client.query("SELECT count(*) AS n FROM records")).rows[0]?.n ?? 0)
      : 0;
    let done = 0;
    while (rows.length > 0) {
      if (!checkPage(checker, checkpoints, rows, position)) return checker.finish();
      done += rows.length;
      onProgress?.(done, total);
      const last = rows.at(-1)!;
      const next = await client.query({
        text: `${RECORD_SQL} WHERE (chain, seq) > ($1, $2::bigint) ORDER BY chain, seq LIMIT $3`,
        values: [last[0], String(last[1]), PAGE],
        rowMode: "array",
      });
      rows = next.rows.map(numberAt1);
    }
    for (const c of checkpoints.keys()) emitRest(checker, checkpoints, c);
    await client.query("COMMIT");
    return checker.finish();
  } catch {
    return unreadable(checker, "cannot read the ledger tables");
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** seq arrives as text (int8); a value that is not a safe integer stays text and fails as malformed. */
function numberAt1(row: Cell[]): Cell[] {
  const out = [...row];
  const n = Number(out[1]);
  if (typeof out[1] === "string" && /^[0-9]+$/.test(out[1]) && Number.isSafeInteger(n)) out[1] = n;
  return out;
}

function unreadable(checker: Checker, message: string): VerifyResult {
  checker.fail("unreadable", null, null, message);
  return checker.finish();
}
