// Prepared statements of one SQLite connection, by SQL text: each is compiled once, on first use.
import type { Database, Statement } from "better-sqlite3";

export function statementCache(db: Database): (sql: string) => Statement {
  const statements = new Map<string, Statement>();
  return (sql) => {
    let s = statements.get(sql);
    if (!s) {
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
}
