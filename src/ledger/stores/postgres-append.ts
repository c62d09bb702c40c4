// One batch on the writer connection: head read, sealed records, checkpoint and the sessions view, in one transaction.
import type pg from "pg";
import type { JsonObject, JsonValue } from "../../json.js";
import { canonicalData } from "../hash.js";
import type { ChainHead, LedgerRecord, Sealer, SessionRow } from "../types.js";
import { checkBatch, sessionChange } from "./common.js";
import { claimDecisions } from "./postgres-approval-decisions.js";
import { CHECKPOINT_COLUMNS, checkpointValues, RECORD_COLUMNS, type Row } from "./rows.js";

export const HEAD_SQL = `SELECT seq, hash, ts, (SELECT max(seq) FROM checkpoints WHERE chain = $1) AS cp
  FROM records WHERE chain = $1 ORDER BY seq DESC LIMIT 1`;
// The head as HEAD_SQL reads it, plus every chain's latest checkpoint (a skip-scan: one probe per
// chain), in one statement so a batch still costs one round trip before its insert.
const APPEND_HEAD_SQL = `WITH RECURSIVE c(chain) AS (
    SELECT min(chain) FROM checkpoints
    UNION ALL SELECT (SELECT min(chain) FROM checkpoints WHERE chain > c.chain) FROM c WHERE c.chain IS NOT NULL)
  SELECT h.seq, h.hash, h.ts, (SELECT max(seq) FROM checkpoints WHERE chain = $1) AS cp,
    (SELECT coalesce(json_agg(json_build_array(c.chain,
        (SELECT max(seq) FROM checkpoints k WHERE k.chain = c.chain))), '[]') FROM c WHERE c.chain IS NOT NULL)::text AS signed
  FROM (SELECT 1) AS one
  LEFT JOIN LATERAL (SELECT seq, hash, ts FROM records WHERE chain = $1 ORDER BY seq DESC LIMIT 1) h ON true`;
export const INSERT_CHECKPOINT = `INSERT INTO checkpoints (${CHECKPOINT_COLUMNS})
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;
const INSERT_RECORDS = `INSERT INTO records (${RECORD_COLUMNS}, tool, effect)
  SELECT * FROM unnest($1::text[], $2::int8[], $3::int4[], $4::text[], $5::text[], $6::text[], $7::text[],
    $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])`;
const START_SESSIONS = `INSERT INTO sessions (id, agent, on_behalf_of, intent, parent, started_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
  ON CONFLICT (id) DO NOTHING`;
// The notification is sent at commit, and only if it commits: other instances drop the session then.
const END_SESSIONS = `WITH ended AS (
    UPDATE sessions s SET ended_at = u.t, end_reason = u.r
    FROM unnest($1::text[], $2::text[], $3::text[]) AS u(id, t, r)
    WHERE s.id = u.id AND s.ended_at IS NULL RETURNING s.id)
  SELECT count(pg_notify($4, id)) FROM unnest($1::text[]) AS id`;

/** Runs inside the caller's transaction: reads the head, seals, and writes; the caller commits. */
export async function appendBatch(
  client: pg.Client,
  chain: string,
  seal: Sealer,
  sessionsChannel: string,
): Promise<LedgerRecord[]> {
  // Named statements: the writer's connection parses and plans them once, not once per batch.
  const row = (await client.query<Row>({ name: "warden_head", text: APPEND_HEAD_SQL, values: [chain] }))
    .rows[0];
  const head = row?.seq === null ? null : toHead(row);
  const pairs = JSON.parse(String(row?.signed ?? "[]")) as [string, number][];
  const { records, checkpoint } = seal(head, Object.fromEntries(pairs));
  checkBatch(chain, head, records, checkpoint);
  if (records.length > 0) {
    const col = <T>(f: (r: LedgerRecord) => T) => records.map(f);
    await client.query({
      name: "warden_insert_records",
      text: INSERT_RECORDS,
      values: [
        col((r) => r.chain),
        col((r) => r.seq),
        col((r) => r.v),
        col((r) => r.ts),
        col((r) => r.kind),
        col((r) => r.session),
        col((r) => r.agent),
        col((r) => r.callId),
        col((r) => canonicalData(r.data)),
        col((r) => r.hash),
        col((r) => storable(str(r.data.tool))),
        col((r) => storable(effectOf(r.data))),
      ],
    });
    await applySessions(client, records, sessionsChannel);
    await claimDecisions(client, records);
  }
  if (checkpoint) await client.query(INSERT_CHECKPOINT, checkpointValues(checkpoint));
  return records;
}

async function applySessions(client: pg.Client, records: LedgerRecord[], channel: string): Promise<void> {
  const starts: SessionRow[] = [];
  const ends: { id: string; endedAt: string; reason: string | null }[] = [];
  for (const r of records) {
    const change = sessionChange(r);
    if (change?.type === "start") starts.push(change.row);
    else if (change?.type === "end") ends.push(change);
  }
  if (starts.length > 0) {
    const col = (f: (s: SessionRow) => string | null) => starts.map((s) => storable(f(s)));
    await client.query(START_SESSIONS, [
      col((s) => s.id),
      col((s) => s.agent),
      col((s) => s.onBehalfOf),
      col((s) => s.intent),
      col((s) => s.parent),
      col((s) => s.startedAt),
    ]);
  }
  if (ends.length > 0) {
    await client.query(END_SESSIONS, [
      ends.map((e) => e.id),
      ends.map((e) => e.endedAt),
      ends.map((e) => storable(e.reason)),
      channel,
    ]);
  }
}

/** The sessions table is a view of hashed records: a NUL (which text cannot hold) must not sink a batch. */
function storable(value: string | null): string | null {
  return value?.includes("\u0000") ? value.replaceAll("\u0000", "\uFFFD") : value;
}

function str(v: JsonValue | undefined): string | null {
  return typeof v === "string" ? v : null;
}

function effectOf(data: JsonObject): string | null {
  const d = data.decision;
  return d !== null && typeof d === "object" && !Array.isArray(d) ? str(d.effect) : null;
}

export function toHead(row: Row | undefined): ChainHead | null {
  if (!row) return null;
  return {
    seq: Number(row.seq),
    hash: String(row.hash),
    ts: String(row.ts),
    checkpointSeq: Number(row.cp ?? 0),
  };
}
