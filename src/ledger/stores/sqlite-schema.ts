// The SQLite ledger schema and its versioning (PRAGMA user_version), applied once per database file.
import type { Database } from "better-sqlite3";
import { LedgerUnavailableError } from "../../errors.js";
import { APPROVAL_KINDS_SQL } from "./common.js";

export const SCHEMA_VERSION = 7;

// Single-column secondary indexes (on records up to v5; on record_index, off the commit, since v6): narrow
// keys keep the writes small (a filtered page is sorted after the lookup). Decisions are filtered by
// scanning with json_extract: that filter is rare and always combined with a time window or a limit.
// STRICT tables: a value of the wrong type is refused at write time instead of surfacing at verify time.
const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS records (
  chain TEXT NOT NULL,
  seq INTEGER NOT NULL,
  v INTEGER NOT NULL,
  ts TEXT NOT NULL,
  kind TEXT NOT NULL,
  session TEXT,
  agent TEXT,
  call_id TEXT,
  data TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (chain, seq)
) STRICT;
CREATE INDEX IF NOT EXISTS records_session ON records (session);
CREATE INDEX IF NOT EXISTS records_call_id ON records (call_id);
CREATE INDEX IF NOT EXISTS records_agent ON records (agent);
CREATE INDEX IF NOT EXISTS records_ts ON records (ts);
CREATE INDEX IF NOT EXISTS records_tool ON records (json_extract(data, '$.tool'));
CREATE TABLE IF NOT EXISTS checkpoints (
  chain TEXT NOT NULL,
  seq INTEGER NOT NULL,
  ts TEXT NOT NULL,
  hash TEXT NOT NULL,
  signature TEXT NOT NULL,
  key_id TEXT NOT NULL,
  PRIMARY KEY (chain, seq)
) STRICT;
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  agent TEXT NOT NULL,
  on_behalf_of TEXT NOT NULL,
  intent TEXT NOT NULL,
  parent TEXT,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  end_reason TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS sessions_agent ON sessions (agent, started_at);
CREATE INDEX IF NOT EXISTS sessions_started ON sessions (started_at);
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('agent', 'approver', 'auditor', 'admin')),
  agent TEXT,
  created_at TEXT NOT NULL,
  revoked_at TEXT
) STRICT;
`;

// v2: export cursors (outbox): the last record of each chain each export sink acknowledged.
const SCHEMA_V2 = `
CREATE TABLE IF NOT EXISTS export_cursors (
  sink TEXT NOT NULL,
  chain TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (sink, chain)
) STRICT;
`;

// v3: tokens name the person behind them (approvals record who decided), and a partial index lets
// the approval queue poll for its records without scanning every call of the window.
function schemaV3(db: Database): void {
  const columns = db.prepare("SELECT name FROM pragma_table_info('tokens')").pluck().all();
  if (!columns.includes("name")) db.exec("ALTER TABLE tokens ADD COLUMN name TEXT;");
  db.exec(`CREATE INDEX IF NOT EXISTS records_approvals ON records (ts) WHERE ${APPROVAL_KINDS_SQL};`);
}

// v4: checkpoint format 2 also signs the set of chains and the cadence; format-1 rows keep v = 1.
function schemaV4(db: Database): void {
  const columns = db.prepare("SELECT name FROM pragma_table_info('checkpoints')").pluck().all();
  if (columns.includes("v")) return;
  db.exec(`ALTER TABLE checkpoints ADD COLUMN v INTEGER NOT NULL DEFAULT 1;
ALTER TABLE checkpoints ADD COLUMN chains TEXT;
ALTER TABLE checkpoints ADD COLUMN cadence TEXT;`);
}

// v5: tokens can expire (warden token create --ttl), and the service notes when each was last used.
function schemaV5(db: Database): void {
  const columns = db.prepare("SELECT name FROM pragma_table_info('tokens')").pluck().all();
  if (!columns.includes("expires_at")) db.exec("ALTER TABLE tokens ADD COLUMN expires_at TEXT;");
  if (!columns.includes("last_used_at")) db.exec("ALTER TABLE tokens ADD COLUMN last_used_at TEXT;");
}

// v6: the query index leaves the durable commit. Every secondary index on records was written inside
// the commit that must reach the disk before a tool runs; record_index holds the queried columns
// instead, filled in batches after the commit (stores/sqlite-index.ts), and records keeps only its
// primary key (the chain).
const RECORD_INDEX = `
CREATE TABLE IF NOT EXISTS record_index (
  chain TEXT NOT NULL,
  seq INTEGER NOT NULL,
  ts TEXT NOT NULL,
  kind TEXT NOT NULL,
  session TEXT,
  agent TEXT,
  call_id TEXT,
  tool,
  effect,
  PRIMARY KEY (chain, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS record_index_session ON record_index (session);
CREATE INDEX IF NOT EXISTS record_index_call_id ON record_index (call_id);
CREATE INDEX IF NOT EXISTS record_index_agent ON record_index (agent);
CREATE INDEX IF NOT EXISTS record_index_ts ON record_index (ts);
CREATE INDEX IF NOT EXISTS record_index_tool ON record_index (tool);
CREATE INDEX IF NOT EXISTS record_index_approvals ON record_index (ts) WHERE ${APPROVAL_KINDS_SQL};
CREATE TABLE IF NOT EXISTS record_index_heads (chain TEXT PRIMARY KEY, seq INTEGER NOT NULL) STRICT;
`;

function schemaV6(db: Database): void {
  db.exec(RECORD_INDEX);
  for (const name of ["session", "call_id", "agent", "ts", "tool", "approvals"])
    db.exec(`DROP INDEX IF EXISTS records_${name};`);
  // The records already there are indexed now, once; later ones by the store after each commit.
  db.exec(`INSERT OR IGNORE INTO record_index (chain, seq, ts, kind, session, agent, call_id, tool, effect)
    SELECT chain, seq, ts, kind, session, agent, call_id,
      json_extract(data, '$.tool'), json_extract(data, '$.decision.effect') FROM records;
  INSERT OR REPLACE INTO record_index_heads (chain, seq) SELECT chain, max(seq) FROM records GROUP BY chain;`);
}

// v7: records found by kind alone (canaries and MCP tool pins at open, leases at recovery, alert lists)
// read every index row without it; with ts second, a kind's newest records come in order.
const KIND_INDEX = "CREATE INDEX IF NOT EXISTS record_index_kind ON record_index (kind, ts);";

/**
 * Creates or upgrades the schema step by step (a v1 file gains the v2 tables and keeps its records).
 * Two processes opening a new file at once are serialized by BEGIN IMMEDIATE. */
export function migrate(db: Database, now: () => string): void {
  const version = () => db.pragma("user_version", { simple: true }) as number;
  if (version() === SCHEMA_VERSION) return;
  db.transaction(() => {
    const v = version();
    if (v === SCHEMA_VERSION) return;
    if (v > SCHEMA_VERSION) throw newerSchema(v);
    if (v < 1) {
      db.exec(SCHEMA_V1);
      const meta = db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)");
      meta.run("format", "warden.ledger");
      meta.run("created_at", now());
    }
    if (v < 2) db.exec(SCHEMA_V2);
    if (v < 3) schemaV3(db);
    if (v < 4) schemaV4(db);
    if (v < 5) schemaV5(db);
    if (v < 6) schemaV6(db);
    if (v < 7) db.exec(KIND_INDEX);
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(
      "schema_version",
      String(SCHEMA_VERSION),
    );
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/** For read-only opens: the file must already be a ledger this version understands. */
export function checkSchema(db: Database): void {
  const v = db.pragma("user_version", { simple: true }) as number;
  if (v === 0) throw new LedgerUnavailableError("not a Warden ledger database");
  if (v > SCHEMA_VERSION) throw newerSchema(v);
}

function newerSchema(v: number): LedgerUnavailableError {
  return new LedgerUnavailableError(
    `ledger schema ${v} is newer than this Warden understands (${SCHEMA_VERSION})`,
  );
}
