// Connection settings shared by the pool, the chain writer and the listener: schema, timeouts, int8 as number.
import pg from "pg";

export interface PgConnectOptions {
  connectionString: string;
  schema: string;
  /** Server-side limit for one statement (default 5000 ms): a stuck query fails closed instead of hanging. */
  statementTimeoutMs: number;
  /** How long to wait for a connection (default 5000 ms). */
  connectTimeoutMs: number;
  applicationName: string;
}

const INT8 = 20;

// Sequence numbers are bigint in the database and safe integers in records: parse int8 as a number
// for Warden's connections only, instead of changing pg's global parsers for the whole process.
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8 && format !== "binary"
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format ?? "text")) as pg.CustomTypesConfig["getTypeParser"],
};

/** The client settings Warden uses on every connection it opens. */
export function clientConfig(o: PgConnectOptions): pg.ClientConfig {
  return {
    connectionString: o.connectionString,
    // search_path per connection: each Warden (and each test run) can live in its own schema.
    options: `-c search_path="${o.schema}"`,
    statement_timeout: o.statementTimeoutMs,
    lock_timeout: o.statementTimeoutMs,
    idle_in_transaction_session_timeout: Math.max(10_000, o.statementTimeoutMs * 2),
    // Client-side too: a network that drops packets never answers, and the server-side timer never fires.
    query_timeout: o.statementTimeoutMs + 2_000,
    connectionTimeoutMillis: o.connectTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: o.applicationName,
    types,
  };
}

/** A connected client, or the connection error (the half-open client is closed). */
export async function connectClient(o: PgConnectOptions): Promise<pg.Client> {
  const client = new pg.Client(clientConfig(o));
  // Without a listener an 'error' event (server restart, pg_terminate_backend) would crash the process.
  client.on("error", () => undefined);
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
}
