// `warden init`: a .warden/ folder with an example policy, a signing key pair and an empty ledger.
import { existsSync } from "node:fs";
import { copyFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import {
  createFileDurably,
  defaultKeyPaths,
  generateKeyPair,
  makeFolderDurably,
  SqliteStore,
} from "../ledger/index.js";
import { createToken } from "../server/index.js";
import { parse, printHelp, runCommand } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { PATH_OPTIONS, type WardenPaths, wardenPaths } from "./paths.js";

const HELP = `usage: warden init [--dir DIR] [--policy FILE] [--db FILE]

Creates DIR (default .warden) with an example policy (policy.yaml), an Ed25519 key pair that signs
the ledger's checkpoints (ledger.key, mode 0600, and ledger.pub) and an empty SQLite ledger (ledger.db).
Files that already exist are kept.`;

export const EXAMPLE_POLICY = fileURLToPath(new URL("../../examples/policy.yaml", import.meta.url));

export interface InitResult {
  created: string[];
  /** Set when an admin token was asked for and minted now (shown once). */
  adminToken: string | null;
}

/** Creates what is missing; never overwrites. */
export async function initWarden(
  paths: WardenPaths,
  options: { adminToken?: boolean } = {},
): Promise<InitResult> {
  const created: string[] = [];
  if (!existsSync(paths.dir)) {
    await makeFolderDurably(paths.dir, 0o700);
    created.push(paths.dir);
  }
  if (!existsSync(paths.policy)) {
    await copyFile(EXAMPLE_POLICY, paths.policy);
    created.push(paths.policy);
  }
  const keys = defaultKeyPaths(paths.db);
  const newLedger = !existsSync(paths.db);
  if (!existsSync(keys.privateKey)) {
    if (!newLedger) {
      throw new Error(
        `${paths.db} exists but its signing key ${keys.privateKey} is missing; restore it first`,
      );
    }
    await generateKeyPair(keys);
    created.push(keys.privateKey, keys.publicKey);
  }
  const store = await SqliteStore.open(paths.db);
  let adminToken: string | null = null;
  try {
    if (newLedger) created.push(paths.db);
    if (options.adminToken && !existsSync(paths.adminToken)) {
      adminToken = (await createToken(store, { role: "admin", name: "admin" })).token;
      // Durable: a token lost to a crash after it was shown once would lock the admin out.
      await createFileDurably(paths.adminToken, `${adminToken}\n`, 0o600);
      created.push(paths.adminToken);
    }
  } finally {
    await store.close();
  }
  return { created, adminToken };
}

export const initCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, HELP, async () => {
    const { values } = parse(argv, PATH_OPTIONS, false);
    if (values.help) return printHelp(io, HELP);
    const result = await initWarden(wardenPaths(io, values));
    if (result.created.length === 0) io.stdout("warden: nothing to do, everything exists");
    for (const path of result.created) io.stdout(`created ${path}`);
    return 0;
  });
