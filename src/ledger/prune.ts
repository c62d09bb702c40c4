// Removes archived records from a live SQLite ledger up to a signed checkpoint, once an archive proves it holds them.
import type { KeyObject } from "node:crypto";
import Database from "better-sqlite3";
import { WardenError } from "../errors.js";
import { keyFileBeside } from "./verify/database.js";
import { verifyDatabase, verifyJsonl } from "./verify.js";

export interface PruneOptions {
  /** The chain to prune; may be left out when the database holds one chain. */
  chain?: string;
  /** The last seq removed: the database must hold a signed checkpoint at it. */
  through: number;
  /** A JSONL export made with `warden export` that holds the records being removed. */
  archive: string;
  /** Trusted public keys (PEM paths or keys); without them the keys beside the ledger are used. */
  publicKey?: string | KeyObject | readonly (string | KeyObject)[];
}

export interface PruneSummary {
  chain: string;
  removedRecords: number;
  removedCheckpoints: number;
}

/**
 * Refuses (LEDGER_PRUNE_REFUSED) unless the archive verifies, reaches a checkpoint at or past `through`
 * and starts no later than the database does, and the database verifies against it (so the records
 * removed are exactly the archive's). Then deletes, in one transaction, the chain's records through
 * `through` and its checkpoints before it: the checkpoint at `through` stays, and the next record is
 * chained to its signed hash, so the database still verifies. A running writer may keep appending.
 */
export async function pruneSqlite(db: string, options: PruneOptions): Promise<PruneSummary> {
  const { through, archive } = options;
  if (!Number.isSafeInteger(through) || through < 1) refuse("--through must be a positive integer");
  const keys = options.publicKey ? { publicKey: options.publicKey } : {};
  const live = await verifyDatabase(db, keys);
  if (!live.ok) refuse(`the ledger does not verify: ${live.problem}: ${live.message}`);
  const chain = options.chain ?? onlyChain(live.chains.map((c) => c.chain));
  const liveChain = live.chains.find((c) => c.chain === chain);
  if (!liveChain) refuse(`the ledger has no chain ${chain}`);
  // A record must stay after SEQ: a ledger left with none would not verify (it looks emptied).
  if (through >= (liveChain.archivedThrough ?? 0) + liveChain.records) {
    refuse(`seq ${through} is the chain's last record: prune through an earlier checkpoint`);
  }
  // The archive is checked with the ledger's keys: one signed by some other key proves nothing here.
  const archived = await verifyJsonl(archive, keys.publicKey ? keys : { publicKey: keyFilesOf(db) });
  if (!archived.ok) refuse(`the archive does not verify: ${archived.problem}: ${archived.message}`);
  const archivedChain = archived.chains.find((c) => c.chain === chain);
  if (!archivedChain || archivedChain.lastCheckpointSeq < through) {
    refuse(`the archive holds no signed checkpoint of chain ${chain} at or after seq ${through}`);
  }
  if ((archivedChain.archivedThrough ?? 0) > (liveChain.archivedThrough ?? 0)) {
    refuse(`the archive starts after seq ${archivedChain.archivedThrough}; the ledger holds earlier records`);
  }
  const against = await verifyDatabase(db, { ...keys, against: [archive] });
  if (!against.ok) refuse(`the ledger does not continue the archive: ${against.problem}: ${against.message}`);
  return removeThrough(db, chain, through);
}

function removeThrough(path: string, chain: string, through: number): PruneSummary {
  const db = new Database(path, { fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    return db
      .transaction(() => {
        const anchor = db
          .prepare("SELECT 1 FROM checkpoints WHERE chain = ? AND seq = ?")
          .get(chain, through);
        if (!anchor) refuse(`no signed checkpoint at seq ${through}: prune through a checkpoint's seq`);
        keepRotationsInUse(db, chain, through);
        const records = db.prepare("DELETE FROM records WHERE chain = ? AND seq <= ?").run(chain, through);
        // The query index (schema 5) points at records: its entries for them go too.
        const indexed = db.prepare(
          "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'record_index'",
        );
        if (indexed.get())
          db.prepare("DELETE FROM record_index WHERE chain = ? AND seq <= ?").run(chain, through);
        const checkpoints = db
          .prepare("DELETE FROM checkpoints WHERE chain = ? AND seq < ?")
          .run(chain, through);
        return { chain, removedRecords: records.changes, removedCheckpoints: checkpoints.changes };
      })
      .immediate();
  } finally {
    db.close();
  }
}

/**
 * Verify accepts a key a rotation retired only as far as the key.rotate record allows it, on any chain
 * (verify/rotations.ts): that record must not go while the key's checkpoints stay on another chain.
 */
function keepRotationsInUse(db: Database.Database, chain: string, through: number): void {
  const rotations = db
    .prepare("SELECT seq, data FROM records WHERE chain = ? AND seq <= ? AND kind = 'key.rotate'")
    .all(chain, through) as { seq: number; data: string }[];
  for (const r of rotations) {
    const from = (JSON.parse(r.data) as { from?: unknown }).from;
    if (typeof from !== "string") continue;
    const used = db
      .prepare(
        "SELECT chain, max(seq) AS seq FROM checkpoints WHERE key_id = ? AND chain <> ? GROUP BY chain",
      )
      .get(from, chain) as { chain: string; seq: number } | undefined;
    if (used) {
      refuse(
        `the key.rotate record at ${chain}#${r.seq} is what lets the retired key's checkpoints on chain ${used.chain} (up to seq ${used.seq}) verify: prune that chain past them first`,
      );
    }
  }
}

/** The public keys beside the ledger, which the archive must have been signed with. */
function keyFilesOf(db: string): string[] {
  const files = keyFileBeside(db);
  if (files.length === 0) refuse("no public key beside the ledger: pass --key");
  return files;
}

function onlyChain(chains: string[]): string {
  if (chains.length !== 1) refuse(`the ledger holds chains ${chains.join(", ")}: name one`);
  return chains[0]!;
}

function refuse(message: string): never {
  throw new WardenError("LEDGER_PRUNE_REFUSED", message);
}
