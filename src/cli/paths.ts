// Where Warden keeps its files unless told otherwise: .warden/ in the working folder.

import type { KeyObject } from "node:crypto";
import { resolve } from "node:path";
import { defaultKeyPaths, isPostgresUrl, ledgerSigningKey, loadSigningKey } from "../ledger/index.js";
import type { CliIO } from "./io.js";

export interface WardenPaths {
  dir: string;
  policy: string;
  /** A SQLite file, or a postgres:// URL (kept as given: it is not a path). */
  db: string;
  adminToken: string;
  /** The signing key when `db` is PostgreSQL: DIR/ledger.key (a SQLite ledger keeps its key beside it). */
  key: string;
}

/** --dir, then $WARDEN_DIR, then ./.warden; --policy/--db (or $WARDEN_POLICY/$WARDEN_DB) override single files. */
export function wardenPaths(io: CliIO, flags: { dir?: string; policy?: string; db?: string }): WardenPaths {
  const dir = resolve(io.cwd, flags.dir ?? io.env.WARDEN_DIR ?? ".warden");
  return {
    dir,
    policy: resolve(io.cwd, flags.policy ?? io.env.WARDEN_POLICY ?? resolve(dir, "policy.yaml")),
    db: dbPath(io, flags.db ?? io.env.WARDEN_DB ?? resolve(dir, "ledger.db")),
    adminToken: resolve(dir, "admin.token"),
    key: resolve(dir, "ledger.key"),
  };
}

/**
 * The signing key's file: --key-file, then $WARDEN_LEDGER_KEY_FILE (keep the key off the database's
 * disk in production), then the key beside a SQLite ledger (ledger.key for ledger.db), or DIR/ledger.key.
 */
function signingKeyPath(io: CliIO, flags: { "key-file"?: string }, paths: WardenPaths): string {
  const given = flags["key-file"] ?? io.env.WARDEN_LEDGER_KEY_FILE;
  if (given) return resolve(io.cwd, given);
  return isPostgresUrl(paths.db) ? paths.key : defaultKeyPaths(paths.db).privateKey;
}

/**
 * The key a command signs with: the one --key-file (or WARDEN_LEDGER_KEY_FILE) names, else the key
 * beside the ledger once a rotation a crash cut short is settled (the retired key must sign nothing).
 */
export async function commandSigningKey(
  io: CliIO,
  flags: { "key-file"?: string },
  paths: WardenPaths,
): Promise<KeyObject> {
  const given = flags["key-file"] ?? io.env.WARDEN_LEDGER_KEY_FILE;
  if (given || isPostgresUrl(paths.db)) return loadSigningKey(signingKeyPath(io, flags, paths));
  return ledgerSigningKey(paths.db);
}

export const KEY_FILE_OPTION = { "key-file": { type: "string" } } as const;

export const PATH_OPTIONS = {
  dir: { type: "string" },
  policy: { type: "string" },
  db: { type: "string" },
} as const;

function dbPath(io: CliIO, db: string): string {
  return isPostgresUrl(db) ? db : resolve(io.cwd, db);
}
