// PostgreSQL connection strings: recognise them, pull out Warden's `schema` parameter, and redact passwords.
import { WardenError } from "../../errors.js";

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** True for `postgres://…` and `postgresql://…`: the `db` values that select the PostgreSQL store. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(db);
}

/**
 * The URL with any password replaced by `***`, for messages and logs.
 *
 * @example
 * redactUrl(`postgres://warden:${password}@db:5432/warden`); // "postgres://warden:***@db:5432/warden"
 */
export function redactUrl(db: string): string {
  try {
    const url = new URL(db);
    if (url.password) url.password = "***";
    for (const key of [...url.searchParams.keys()]) {
      if (/pass|secret|key/i.test(key)) url.searchParams.set(key, "***");
    }
    return url.toString();
  } catch {
    // Unparseable: show only the scheme, never the rest (it may hold a password).
    return `${db.split(":")[0] ?? "postgres"}://…`;
  }
}

/** The connection string without Warden's own `schema` parameter, and that schema (default `public`). */
export function splitSchema(db: string, schema?: string): { connectionString: string; schema: string } {
  let url: URL;
  try {
    url = new URL(db);
  } catch {
    throw new WardenError("INVALID_REQUEST", `not a PostgreSQL URL: ${redactUrl(db)}`);
  }
  const fromUrl = url.searchParams.get("schema");
  url.searchParams.delete("schema");
  const name = schema ?? fromUrl ?? "public";
  // The name goes into `-c search_path=…` and into lock keys: only plain identifiers are accepted.
  if (!SCHEMA_NAME.test(name)) {
    throw new WardenError("INVALID_REQUEST", "the PostgreSQL schema must be a plain identifier");
  }
  return { connectionString: url.toString(), schema: name };
}
