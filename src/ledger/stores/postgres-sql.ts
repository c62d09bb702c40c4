// How the PostgreSQL store's SQL differs from SQLite's: the one place that says so (see sql.ts).
import type { SqlDialect } from "./sql.js";

export const POSTGRES: SqlDialect = {
  param: (n) => `$${n}`,
  // Columns copied from data at write time (migration 2); never parsed from the JSON at query time.
  tool: "tool",
  effect: "effect",
  kindIn: (kinds, first) => ({ clause: `kind = ANY($${first}::text[])`, params: [[...kinds]] }),
  noLimit: null,
};
