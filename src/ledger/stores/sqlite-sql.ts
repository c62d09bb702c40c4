// How the SQLite store's SQL differs from PostgreSQL's: the one place that says so (see sql.ts).
import type { SqlDialect } from "./sql.js";

export const SQLITE: SqlDialect = {
  param: () => "?",
  // The same expressions as the indexes (sqlite-schema.ts), so the planner can use them.
  tool: "json_extract(data, '$.tool')",
  // Filtered by scanning: that filter is rare and always combined with a time window or a limit.
  effect: "json_extract(data, '$.decision.effect')",
  // SQLite plans without statistics and would take the kind index over a call id's: a unary `+` keeps
  // the kind out of the index choice when a narrower column is named.
  kindIn: (kinds, _first, narrowed) => ({
    clause: `${narrowed ? "+" : ""}kind IN (${kinds.map(() => "?").join(", ")})`,
    params: [...kinds],
  }),
  noLimit: -1,
};
