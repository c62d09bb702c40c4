// Rotates a SQLite ledger to a new signing key (the old one lost or retired), with a signed key.rotate record that verify follows.
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync } from "node:fs";
import { rename } from "node:fs/promises";
import { dirname, join, parse } from "node:path";
import { createFileDurably, syncFolder } from "./durable-file.js";
import { defaultKeyPaths, keyIdOf, loadPublicKey, loadSigningKey } from "./keys.js";
import { Ledger } from "./ledger.js";
import { SqliteStore } from "./stores/sqlite.js";
import type { LedgerRecord } from "./types.js";

export interface RotateOptions {
  /** Why (kept in the record): "ledger.key lost in a disk failure". */
  reason: string;
  /** The chain the record goes in (default "main"). */
  chain?: string;
  clock?: () => Date;
}

export interface RotateResult {
  record: LedgerRecord;
  from: string | null;
  to: string;
  /** Where the old key files were moved (kept: old checkpoints verify with the old public key). */
  retired: string[];
}

/**
 * Makes a new key pair the ledger's signing key: the old `ledger.key` and `ledger.pub` (whatever is
 * left of them) move to `ledger.retired-<time>.key|pub`, the new ones are written durably, and a
 * `key.rotate` record (`from`: old key id or null, `to`, `publicKey`: the new SPKI, `reason`, `oldKey`:
 * lost | retired) is
 * appended and sealed, in the same transaction, by a format-2 checkpoint signed with the new key (its
 * `chains`: every chain's signed head then). Verify follows it: the old key may sign only checkpoints
 * before the record on its chain and, on other chains, up to the heads that checkpoint signed, so a
 * stolen old key can neither extend a chain nor start one (verify/rotations.ts).
 *
 * @example
 * await rotateSigningKey(".warden/ledger.db", { reason: "ledger.key lost" });
 */
export async function rotateSigningKey(dbPath: string, options: RotateOptions): Promise<RotateResult> {
  const paths = defaultKeyPaths(dbPath);
  const oldPublic: KeyObject | null = existsSync(paths.publicKey)
    ? await loadPublicKey(paths.publicKey).catch(() => null)
    : null;
  // Lost: missing, empty or unreadable (what a crash leaves); retired: still usable, replaced on purpose.
  const oldKeyUsable = await loadSigningKey(paths.privateKey).then(
    () => true,
    () => false,
  );
  const stamp = (options.clock?.() ?? new Date()).toISOString().replace(/[:.]/g, "-");
  const base = join(dirname(dbPath), `${parse(dbPath).name}.retired-${stamp}`);
  const retired: string[] = [];
  for (const [from, to] of [
    [paths.privateKey, `${base}.key`],
    [paths.publicKey, `${base}.pub`],
  ] as const) {
    if (!existsSync(from)) continue;
    await rename(from, to);
    retired.push(to);
  }
  await syncFolder(dirname(dbPath));
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  await createFileDurably(
    paths.privateKey,
    privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    0o600,
  );
  await createFileDurably(
    paths.publicKey,
    publicKey.export({ type: "spki", format: "pem" }).toString(),
    0o644,
  );
  const from = oldPublic ? keyIdOf(oldPublic) : null;
  const to = keyIdOf(publicKey);
  const ledger = await Ledger.open({
    store: await SqliteStore.open(dbPath),
    signingKey: privateKey,
    chain: options.chain ?? "main",
    ...(options.clock ? { clock: options.clock } : {}),
  });
  try {
    // Asked for together, the record and the checkpoint sealing it go in one store transaction: no
    // other writer's checkpoint can come between them.
    const [record] = await Promise.all([
      ledger.append({
        kind: "key.rotate",
        session: null,
        agent: null,
        callId: null,
        data: {
          from,
          to,
          publicKey: spki(publicKey),
          reason: options.reason,
          oldKey: oldKeyUsable ? "retired" : "lost",
        },
      }),
      ledger.checkpointNow(),
    ]);
    return { record, from, to, retired };
  } finally {
    await ledger.close();
  }
}

function spki(publicKey: KeyObject): string {
  return publicKey.export({ type: "spki", format: "der" }).toString("base64");
}
