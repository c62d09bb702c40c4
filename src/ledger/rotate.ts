// Rotates a SQLite ledger to a new signing key (the old one lost or retired), with a signed key.rotate record that verify follows.
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { dirname, join, parse } from "node:path";
import { WardenError } from "../errors.js";
import { createFileDurably, syncFolder } from "./durable-file.js";
import { defaultKeyPaths, keyIdOf, loadPublicKey, loadSigningKey } from "./keys.js";
import { Ledger } from "./ledger.js";
import { isPostgresUrl } from "./stores/postgres-url.js";
import { SqliteStore } from "./stores/sqlite.js";
import type { LedgerRecord, LedgerStore, SignedHeads } from "./types.js";

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
 * Makes a new key pair the ledger's signing key, in steps a crash can interrupt anywhere:
 *
 * 1. the new pair is written durably beside the ledger as `ledger.next.key|pub`;
 * 2. a `key.rotate` record (`from`: old key id or null, `to`, `publicKey`: the new SPKI, `reason`,
 *    `oldKey`: lost | retired, `heads`: every chain's last checkpoint by seq and hash) is appended and
 *    sealed, in the same transaction, by a format-2 checkpoint signed with the new key (its `chains`:
 *    the same seqs; a transaction that finds another head than the record pins is refused and retried);
 * 3. the old `ledger.key` and `ledger.pub` (whatever is left of them) move to
 *    `ledger.retired-<time>.key|pub`, and the new pair takes their names.
 *
 * A rotation cut short before step 2 committed is dropped, one cut short after it is finished, by the
 * next `finishInterruptedRotation` (which `Warden.open` and this function run first): the ledger never
 * goes on with a key its records do not name. Verify follows the record: the old key may sign only
 * checkpoints before it on its chain and, on other chains, up to the heads that checkpoint signed, so a
 * stolen old key can neither extend a chain nor start one (verify/rotations.ts).
 *
 * @example
 * await rotateSigningKey(".warden/ledger.db", { reason: "ledger.key lost" });
 */
export async function rotateSigningKey(dbPath: string, options: RotateOptions): Promise<RotateResult> {
  if (isPostgresUrl(dbPath)) {
    // Every instance signs with the one key the database registers: a rotation would have to hand the
    // new key to all of them at once, which this file-based rotation cannot do.
    throw new WardenError("INVALID_REQUEST", "key rotation works on a SQLite ledger only, not on PostgreSQL");
  }
  await finishInterruptedRotation(dbPath, options.clock);
  const paths = defaultKeyPaths(dbPath);
  const oldPublic: KeyObject | null = existsSync(paths.publicKey)
    ? await loadPublicKey(paths.publicKey).catch(() => null)
    : null;
  // Lost: missing, empty or unreadable (what a crash leaves); retired: still usable, replaced on purpose.
  const oldKeyUsable = await loadSigningKey(paths.privateKey).then(
    () => true,
    () => false,
  );
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const pair: StagedPair = {
    key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    pub: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
  const next = nextKeyPaths(dbPath);
  await createFileDurably(next.privateKey, pair.key, KEY_MODES.key);
  await createFileDurably(next.publicKey, pair.pub, KEY_MODES.pub);
  const from = oldPublic ? keyIdOf(oldPublic) : null;
  const to = keyIdOf(publicKey);
  const rotation = (heads: SignedHeadHashes) => ({
    kind: "key.rotate" as const,
    session: null,
    agent: null,
    callId: null,
    data: {
      from,
      to,
      publicKey: spki(publicKey),
      reason: options.reason,
      oldKey: oldKeyUsable ? ("retired" as const) : ("lost" as const),
      heads,
    },
  });
  const store = await SqliteStore.open(dbPath);
  let pinned: SignedHeadHashes = {};
  const ledger = await Ledger.open({
    store: refusingMovedHeads(store, () => pinned),
    signingKey: privateKey,
    chain: options.chain ?? "main",
    ...(options.clock ? { clock: options.clock } : {}),
  });
  let record: LedgerRecord | undefined;
  try {
    for (let attempt = 1; record === undefined; attempt++) {
      pinned = await signedHeads(ledger.store);
      try {
        // Asked for together, the record and the checkpoint sealing it go in one store transaction: no
        // other writer's checkpoint can come between them.
        [record] = await Promise.all([ledger.append(rotation(pinned)), ledger.checkpointNow()]);
      } catch (err) {
        if (!(err instanceof WardenError && err.cause instanceof HeadsMoved) || attempt >= MAX_ATTEMPTS)
          throw err;
      }
    }
  } finally {
    await ledger.close();
  }
  const retired = await installNextKey(dbPath, to, options.clock, pair);
  return { record, from, to, retired };
}

/**
 * Completes or drops a rotation a crash cut short (see `rotateSigningKey`): when `ledger.next.key` or
 * `ledger.next.pub` is left, the new key takes the ledger's key names if a `key.rotate` record names it,
 * else the leftover is removed. Returns the files it retired. Nothing to do: no file is touched.
 */
export async function finishInterruptedRotation(dbPath: string, clock?: () => Date): Promise<string[]> {
  const next = nextKeyPaths(dbPath);
  if (!existsSync(next.privateKey) && !existsSync(next.publicKey)) return [];
  const nextId = await keyIdOfFile(existsSync(next.publicKey) ? next.publicKey : next.privateKey);
  if (nextId !== null && (await rotatedTo(dbPath, nextId))) return installNextKey(dbPath, nextId, clock);
  // Cut short before its record committed: the ledger never used this key.
  await rm(next.privateKey, { force: true });
  await rm(next.publicKey, { force: true });
  await syncFolder(dirname(dbPath));
  return [];
}

/** The signing key beside a SQLite ledger (`ledger.key`), once a rotation a crash cut short is settled. */
export async function ledgerSigningKey(dbPath: string): Promise<KeyObject> {
  await finishInterruptedRotation(dbPath);
  return loadSigningKey(defaultKeyPaths(dbPath).privateKey);
}

/** The new pair's PEM text, as the rotation staged it. */
interface StagedPair {
  key: string;
  pub: string;
}

const KEY_MODES = { key: 0o600, pub: 0o644 } as const;

/**
 * Step 3: the old key files (any not already the new key) retired, the new ones moved into place.
 * `pair`: the rotation that committed the record is the caller, and stages again a file of the pair
 * that is gone: an open of the ledger that ran before the record committed took the staged pair for
 * the leftover of a rotation a crash cut short and removed it. Another process finishing the same
 * rotation at the same time may move a file first: what counts is that the new key ends up in place.
 */
async function installNextKey(
  dbPath: string,
  nextId: string,
  clock?: () => Date,
  pair?: StagedPair,
): Promise<string[]> {
  const paths = defaultKeyPaths(dbPath);
  const next = nextKeyPaths(dbPath);
  const stamp = (clock?.() ?? new Date()).toISOString().replace(/[:.]/g, "-");
  const base = join(dirname(dbPath), `${parse(dbPath).name}.retired-${stamp}`);
  const retired: string[] = [];
  for (const [current, staged, ext] of [
    [paths.privateKey, next.privateKey, "key"],
    [paths.publicKey, next.publicKey, "pub"],
  ] as const) {
    const installed = async () => (await keyIdOfFile(current)) === nextId;
    if (pair && !existsSync(staged) && !(await installed())) {
      await createFileDurably(staged, pair[ext], KEY_MODES[ext]).catch(ignore("EEXIST"));
    }
    if (!existsSync(staged)) continue;
    if (existsSync(current) && !(await installed())) {
      const moved = await rename(current, `${base}.${ext}`).then(() => true, ignore("ENOENT"));
      if (moved) retired.push(`${base}.${ext}`);
    }
    await rename(staged, current).catch(async (err: unknown) => {
      if (!(await installed())) throw err;
    });
  }
  await syncFolder(dirname(dbPath));
  return retired;
}

/** A rejection handler that swallows the file system error `code` (resolving false) and rethrows any other. */
function ignore(code: string): (err: unknown) => false {
  return (err) => {
    if ((err as NodeJS.ErrnoException | null)?.code === code) return false;
    throw err;
  };
}

/** Chain name → its last checkpoint, by seq and hash. */
type SignedHeadHashes = Record<string, { seq: number; hash: string }>;

/** How often the rotation reads the heads again when other writers' checkpoints keep moving them. */
const MAX_ATTEMPTS = 5;

/** Thrown inside the store's transaction: a checkpoint came in after the heads were read. */
class HeadsMoved extends Error {}

/**
 * Every chain's last checkpoint, by seq and hash: the record pins what the old key signed (the new key's
 * checkpoint sealing the record signs only the seqs), so it cannot be rewritten and signed again.
 */
async function signedHeads(store: LedgerStore): Promise<SignedHeadHashes> {
  const heads: SignedHeadHashes = {};
  for (const chain of await store.chains()) {
    const last = (await store.checkpoints(chain)).at(-1);
    if (last) heads[chain] = { seq: last.seq, hash: last.hash };
  }
  return heads;
}

/**
 * `store`, whose transaction refuses the batch holding the key.rotate record unless every chain's signed
 * head read there is the one `pinned()` holds: the record must pin by hash exactly the seqs the new key's
 * checkpoint sealing it signs (a checkpoint another process adds after the heads were read would
 * otherwise be attested by seq alone, and the old key could sign a rewrite of the records before it).
 */
function refusingMovedHeads(store: LedgerStore, pinned: () => SignedHeadHashes): LedgerStore {
  const append: LedgerStore["append"] = (chain, seal) =>
    store.append(chain, (head, signed) => {
      const out = seal(head, signed);
      if (out.records.some((r) => r.kind === "key.rotate") && !sameSeqs(pinned(), signed)) {
        throw new HeadsMoved("a checkpoint came in after the rotation read the chains' heads");
      }
      return out;
    });
  return new Proxy(store, {
    get(target, prop) {
      if (prop === "append") return append;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function sameSeqs(pinned: SignedHeadHashes, signed: SignedHeads): boolean {
  const chains = Object.keys(signed);
  if (chains.length !== Object.keys(pinned).length) return false;
  return chains.every((chain) => pinned[chain]?.seq === signed[chain]);
}

/** Where a rotation stages the new pair: `ledger.next.key|pub` beside `ledger.db`. */
function nextKeyPaths(dbPath: string): { privateKey: string; publicKey: string } {
  const base = join(dirname(dbPath), `${parse(dbPath).name}.next`);
  return { privateKey: `${base}.key`, publicKey: `${base}.pub` };
}

/** The key id of a PEM key file (private or public), or null when it is missing or unreadable. */
async function keyIdOfFile(path: string): Promise<string | null> {
  const key = await loadPublicKey(path).catch(() => loadSigningKey(path).catch(() => null));
  return key ? keyIdOf(key) : null;
}

/** Whether a `key.rotate` record of the ledger names `keyId` as its new key. */
async function rotatedTo(dbPath: string, keyId: string): Promise<boolean> {
  const store = await SqliteStore.open(dbPath, { readonly: true });
  try {
    const rotations = await store.query({ kinds: ["key.rotate"] });
    return rotations.some((r) => r.data.to === keyId);
  } finally {
    await store.close();
  }
}

function spki(publicKey: KeyObject): string {
  return publicKey.export({ type: "spki", format: "der" }).toString("base64");
}
