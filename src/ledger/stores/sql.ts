// The ledger's SQL that the SQLite and PostgreSQL stores share, written once. What differs between the
// two databases is a `SqlDialect`, defined in one place per store (sqlite-sql.ts, postgres-sql.ts).
import type { RecordKind, RecordQuery, TokenRow } from "../types.js";
import { APPROVAL_KINDS_SQL, isApprovalKinds } from "./common.js";
import { CHECKPOINT_COLUMNS, RECORD_COLUMNS } from "./rows.js";

export type SqlParam = string | number | null | string[];

/** How one database spells what the shared statements need. */
export interface SqlDialect {
  /** The placeholder of the `n`-th parameter (1-based); each parameter appears once, in order. */
  param(n: number): string;
  /** The expressions for `data.tool` and `data.decision.effect` that the database indexes or stores. */
  readonly tool: string;
  readonly effect: string;
  /**
   * `kind` is one of `kinds`: the clause and its parameters, numbered from `first`. `narrowed`: the query
   * also names a session, call or user, whose index finds far fewer rows than a kind's (an agent may
   * own most of the ledger).
   */
  kindIn(
    kinds: readonly RecordKind[],
    first: number,
    narrowed: boolean,
  ): { clause: string; params: SqlParam[] };
  /** The LIMIT parameter that means no limit. */
  readonly noLimit: number | null;
}

/** A statement and its parameters. */
export interface Sql {
  text: string;
  params: SqlParam[];
}

/** The dialect's placeholders for a statement written with `?` (each `?` one parameter, in order). */
export function numbered(dialect: SqlDialect, text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => dialect.param(++n));
}

/**
 * Every chain that has a record or a checkpoint: a loose index scan over the primary keys (one probe per
 * chain instead of a read of every record).
 */
export const CHAINS_SQL = `WITH RECURSIVE c(chain) AS (
    SELECT min(chain) FROM records
    UNION ALL SELECT (SELECT min(chain) FROM records WHERE chain > c.chain) FROM c WHERE c.chain IS NOT NULL)
  SELECT chain FROM c WHERE chain IS NOT NULL UNION SELECT DISTINCT chain FROM checkpoints ORDER BY chain`;

export const READ_CHAIN_SQL = `SELECT ${RECORD_COLUMNS} FROM records WHERE chain = ? AND seq >= ? ORDER BY seq LIMIT ?`;
export const CHECKPOINTS_SQL = `SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints WHERE chain = ? ORDER BY seq`;
export const CHECKPOINTS_AFTER_SQL = `SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints WHERE chain = ? AND seq > ? ORDER BY seq LIMIT ?`;
export const SESSION_SQL = "SELECT * FROM sessions WHERE id = ?";
export const PUT_TOKEN_SQL = `INSERT INTO tokens
  (id, hash, role, agent, name, created_at, revoked_at, expires_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, role = excluded.role, agent = excluded.agent,
    name = excluded.name, created_at = excluded.created_at, revoked_at = excluded.revoked_at,
    expires_at = excluded.expires_at, last_used_at = excluded.last_used_at`;
/** PUT_TOKEN_SQL's parameters, in its column order. */
export function tokenParams(t: TokenRow): SqlParam[] {
  return [t.id, t.hash, t.role, t.agent, t.name, t.createdAt, t.revokedAt, t.expiresAt, t.lastUsedAt];
}
export const TOKENS_SQL = "SELECT * FROM tokens ORDER BY created_at, id";
/** Last use only moves forward: instances may report out of order. Parameters: at, id, at. */
export const TOUCH_TOKEN_SQL =
  "UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)";
export const REVOKE_TOKEN_SQL =
  "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING id";
export const TOKEN_BY_HASH_SQL = "SELECT * FROM tokens WHERE hash = ?";
export const TOKEN_NAMES_SQL = "SELECT DISTINCT name FROM tokens WHERE name IS NOT NULL";
export const GET_CURSOR_SQL = "SELECT seq FROM export_cursors WHERE sink = ? AND chain = ?";
/** A cursor never moves back: a lower seq than the stored one changes nothing. */
export const PUT_CURSOR_SQL = `INSERT INTO export_cursors (sink, chain, seq) VALUES (?, ?, ?)
  ON CONFLICT (sink, chain) DO UPDATE SET seq = excluded.seq WHERE excluded.seq > export_cursors.seq`;

/** The WHERE terms of a (normalized) record query, and their parameters in order. */
export function recordFilter(dialect: SqlDialect, q: RecordQuery): { where: string[]; params: SqlParam[] } {
  const where: string[] = [];
  const params: SqlParam[] = [];
  const add = (column: string, value: string | undefined, op = "=") => {
    if (value === undefined) return;
    params.push(value);
    const placeholder = dialect.param(params.length);
    // A column ending in "=" is a subquery opened by the caller, closed here.
    where.push(column.endsWith("=") ? `${column} ${placeholder})` : `${column} ${op} ${placeholder}`);
  };
  add("session", q.session);
  add("agent", q.agent);
  add("call_id", q.callId);
  add(dialect.tool, q.tool);
  add(dialect.effect, q.decision);
  add("ts", q.since, ">=");
  add("ts", q.until, "<");
  add("session IN (SELECT id FROM sessions WHERE on_behalf_of =", q.user);
  if (q.after) {
    const n = params.push(q.after.ts, q.after.chain, q.after.seq);
    const [ts, chain, seq] = [n - 2, n - 1, n].map((i) => dialect.param(i));
    // Keyset paging: strictly past the position in this query's order.
    where.push(`(ts, chain, seq) ${q.newestFirst ? "<" : ">"} (${ts}, ${chain}, ${seq})`);
  }
  // The approval queue's exact term, so SQLite can use its partial index.
  if (isApprovalKinds(q.kinds)) where.push(APPROVAL_KINDS_SQL);
  else if (q.kinds) {
    const narrowed = [q.session, q.callId, q.user].some((v) => v !== undefined);
    const kinds = dialect.kindIn(q.kinds, params.length + 1, narrowed);
    where.push(kinds.clause);
    params.push(...kinds.params);
  }
  return { where, params };
}

/** The records a (normalized) query asks for: ts, then chain, then seq, so every chain keeps its order. */
export function recordQuery(dialect: SqlDialect, q: RecordQuery): Sql {
  const { where, params } = recordFilter(dialect, q);
  const dir = q.newestFirst ? "DESC" : "ASC";
  params.push(q.limit ?? dialect.noLimit);
  const text = `SELECT ${RECORD_COLUMNS} FROM records ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
    ORDER BY ts ${dir}, chain ${dir}, seq ${dir} LIMIT ${dialect.param(params.length)}`;
  return { text, params };
}

/** Sessions, newest first, of one agent and/or only the active or only the ended ones. */
export function sessionQuery(
  dialect: SqlDialect,
  q: { agent?: string; active?: boolean; limit?: number },
): Sql {
  const where: string[] = [];
  const params: SqlParam[] = [];
  if (q.agent !== undefined) {
    params.push(q.agent);
    where.push(`agent = ${dialect.param(params.length)}`);
  }
  if (q.active !== undefined) where.push(q.active ? "ended_at IS NULL" : "ended_at IS NOT NULL");
  params.push(q.limit ?? dialect.noLimit);
  const text = `SELECT * FROM sessions ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
    ORDER BY started_at DESC, id LIMIT ${dialect.param(params.length)}`;
  return { text, params };
}
