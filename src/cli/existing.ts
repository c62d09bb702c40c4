// Commands that take --db or --dir never create a ledger or a signing key unless asked (warden init,
// --init, --quickstart): a typo in a path must fail and name the path, not start a fresh, empty ledger.
import { existsSync } from "node:fs";
import { isPostgresUrl } from "../ledger/index.js";
import { missing } from "./args.js";
import type { WardenPaths } from "./paths.js";

/**
 * The ledger a command writes to is there (SQLite: the file; PostgreSQL: the shared key file), else exit 2.
 * `initFlag`: the command takes --init, so the message offers it.
 */
export function requireLedger(paths: WardenPaths, { initFlag = true } = {}): void {
  if (isPostgresUrl(paths.db)) {
    if (!existsSync(paths.key)) {
      const init = initFlag ? ", or pass --init to create one for a new database" : "";
      throw missing(`no signing key at ${paths.key}: copy the ledger.key every instance shares there${init}`);
    }
    return;
  }
  if (!existsSync(paths.db)) {
    const init = initFlag ? ", or pass --init" : "";
    throw missing(`no ledger at ${paths.db} (create one with warden init${init})`);
  }
}

/** The policy file is there, else exit 2 naming it. */
export function requirePolicy(paths: WardenPaths): void {
  if (!existsSync(paths.policy)) {
    throw missing(`no policy at ${paths.policy} (run warden init, or pass --policy FILE)`);
  }
}
