// The PostgreSQL ledger schema as numbered migrations; each runs once, in order, in its own transaction.
import { APPROVAL_KINDS_SQL } from "./common.js";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

// v1: the ledger tables, as the SQLite store has them. Records keep `data` and `ts` as the exact text
// that was hashed (jsonb would reorder keys and renormalise numbers, and verification needs the bytes).
const V1 = `
CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE records (
  chain text NOT NULL,
  seq bigint NOT NULL,
  v integer NOT NULL,
  ts text NOT NULL,
  kind text NOT NULL,
  session text,
  agent text,
  call_id text,
  data text NOT NULL,
  hash text NOT NULL,
  PRIMARY KEY (chain, seq)
);
CREATE INDEX records_session ON records (session);
CREATE INDEX records_call_id ON records (call_id);
CREATE INDEX records_agent ON records (agent);
CREATE INDEX records_ts ON records (ts);
CREATE TABLE checkpoints (
  chain text NOT NULL,
  seq bigint NOT NULL,
  ts text NOT NULL,
  hash text NOT NULL,
  signature text NOT NULL,
  key_id text NOT NULL,
  PRIMARY KEY (chain, seq)
);
CREATE TABLE sessions (
  id text PRIMARY KEY,
  agent text NOT NULL,
  on_behalf_of text NOT NULL,
  intent text NOT NULL,
  parent text,
  started_at text NOT NULL,
  ended_at text,
  end_reason text
);
CREATE INDEX sessions_agent ON sessions (agent, started_at);
CREATE INDEX sessions_started ON sessions (started_at);
CREATE TABLE tokens (
  id text PRIMARY KEY,
  hash text NOT NULL UNIQUE,
  role text NOT NULL CHECK (role IN ('agent', 'approver', 'auditor', 'admin')),
  agent text,
  created_at text NOT NULL,
  revoked_at text
);
INSERT INTO meta (key, value) VALUES ('format', 'warden.ledger') ON CONFLICT DO NOTHING;
`;

// v2: scale-out. The signing key every instance must share (so one public key verifies every chain),
// the shared token buckets of rate limits, and `tool` and `effect` columns (copied from `data` at write
// time, never hashed) for `warden log --tool/--decision`: a jsonb expression index would make one record
// whose JSON holds \u0000 (which jsonb refuses) fail its whole batch.
const V2 = `
CREATE TABLE signing_keys (
  key_id text PRIMARY KEY,
  public_key text NOT NULL,
  added_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE rate_buckets (
  key text PRIMARY KEY,
  tokens double precision NOT NULL,
  at_ms double precision NOT NULL,
  burst double precision NOT NULL,
  per_ms double precision NOT NULL
);
ALTER TABLE records ADD COLUMN tool text, ADD COLUMN effect text;
UPDATE records SET tool = (data::jsonb) ->> 'tool', effect = (data::jsonb) -> 'decision' ->> 'effect'
  WHERE data NOT LIKE '%\\u0000%';
CREATE INDEX records_tool ON records (tool);
`;

// v3: export cursors (outbox): the last record of each chain each export sink acknowledged.
const V3 = `
CREATE TABLE export_cursors (
  sink text NOT NULL,
  chain text NOT NULL,
  seq bigint NOT NULL,
  PRIMARY KEY (sink, chain)
);
`;

// v4: tokens name the person behind them (approvals record who decided), and a partial index lets
// the approval queue poll for its records without scanning every call of the window.
const V4 = `ALTER TABLE tokens ADD COLUMN name text;
CREATE INDEX records_approvals ON records (ts) WHERE ${APPROVAL_KINDS_SQL};`;

// v5: checkpoint format 2 also signs the set of chains and the cadence; format-1 rows keep v = 1.
const V5 = `ALTER TABLE checkpoints ADD COLUMN v integer NOT NULL DEFAULT 1, ADD COLUMN chains text,
  ADD COLUMN cadence text;`;

// v6: tokens can expire (warden token create --ttl), and the service notes when each was last used.
const V6 = `ALTER TABLE tokens ADD COLUMN expires_at text, ADD COLUMN last_used_at text;`;

// v7: records found by kind alone (canaries and MCP tool pins at open, leases at recovery, alert lists)
// read the whole table without it; with ts second, a kind's newest records come in order.
const V7 = `CREATE INDEX records_kind ON records (kind, ts);`;

/** Every migration, oldest first; the last one's version is the schema this Warden writes. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "ledger tables", sql: V1 },
  { version: 2, name: "signing keys, shared rate buckets, tool and effect columns", sql: V2 },
  { version: 3, name: "export cursors", sql: V3 },
  { version: 4, name: "token names, approvals index", sql: V4 },
  { version: 5, name: "checkpoint format 2 (chains, cadence)", sql: V5 },
  { version: 6, name: "token expiry and last use", sql: V6 },
  { version: 7, name: "kind index", sql: V7 },
];

export const PG_SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;
