// Shared fixtures for the ledger tests: temp dirs, keys, sample inputs and a ledger on a real SQLite file.
import { createPublicKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { canonicalJson } from "../../src/digest.js";
import type { JsonObject } from "../../src/json.js";
import { recordHash } from "../../src/ledger/hash.js";
import {
  type Checkpoint,
  GENESIS_HASH,
  generateKeyPair,
  keyIdOf,
  Ledger,
  type LedgerOptions,
  type LedgerStore,
  type RecordInput,
  type RecordKind,
  SqliteStore,
} from "../../src/ledger/index.js";

const dirs: string[] = [];

/** A fresh directory under the OS temp dir, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "warden-ledger-"));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function ephemeralKey(): KeyObject {
  return generateKeyPairSync("ed25519").privateKey;
}

export function intent(i: number, extra: Record<string, string> = {}): RecordInput<"call.intent"> {
  return {
    kind: "call.intent",
    session: `s-${i % 3}`,
    agent: i % 2 ? "support-bot" : "billing-bot",
    callId: `c-${i}`,
    data: {
      tool: i % 2 ? "read_ticket" : "send_email",
      args: { id: i, note: "héllo ✓" },
      decision: { effect: i % 4 ? "allow" : "deny" },
      ...extra,
    },
  };
}

/** A ledger on `dir/ledger.db` with its key pair beside it, as Warden lays it out. */
export async function sqliteLedger(
  dir: string,
  options: Partial<LedgerOptions> = {},
): Promise<{ ledger: Ledger; db: string; publicKey: KeyObject; signingKey: KeyObject }> {
  const db = join(dir, "ledger.db");
  // A given signing key is the ledger's key: its public half is the ledger.pub beside the database.
  const keys = options.signingKey
    ? { privateKey: options.signingKey, publicKey: writePublicKey(dir, options.signingKey) }
    : await generateKeyPair(dir);
  const store = await SqliteStore.open(db);
  const ledger = await Ledger.open({ store, signingKey: keys.privateKey, checkpointSeconds: 0, ...options });
  return { ledger, db, publicKey: keys.publicKey, signingKey: keys.privateKey };
}

function writePublicKey(dir: string, signingKey: KeyObject): KeyObject {
  const publicKey = createPublicKey(signingKey);
  writeFileSync(join(dir, "ledger.pub"), publicKey.export({ type: "spki", format: "pem" }).toString());
  return publicKey;
}

/** Appends `n` records one batch at a time (awaiting each), so tests get many small batches. */
export async function appendSerially(ledger: Ledger, n: number, from = 0): Promise<void> {
  for (let i = from; i < from + n; i++) await ledger.append(intent(i));
}

/** A checkpoint as the previous version wrote it (format 1: signs {chain, seq, hash, ts} only). */
export function v1Checkpoint(
  key: KeyObject,
  at: { chain: string; seq: number; hash: string; ts: string },
): Checkpoint {
  const { chain, seq, hash, ts } = at;
  const signature = sign(null, Buffer.from(canonicalJson({ chain, seq, hash, ts })), key).toString("base64");
  return { chain, seq, hash, ts, signature, keyId: keyIdOf(createPublicKey(key)) };
}

/**
 * Appends a record the way a foreign writer with database access could: through the store, with a
 * correct hash, past the ledger's own shape check. The ledger's next checkpoint then signs it.
 */
export async function appendUnchecked(
  store: LedgerStore,
  chain: string,
  kind: string,
  data: JsonObject,
  columns: { session: string | null; agent: string | null; callId: string | null } = {
    session: "s-1",
    agent: "bot",
    callId: "c-x",
  },
): Promise<number> {
  const [record] = await store.append(chain, (head) => {
    const body = {
      v: 1 as const,
      chain,
      seq: (head?.seq ?? 0) + 1,
      ts: new Date(Math.max(Date.now(), Date.parse(head?.ts ?? "1970-01-01T00:00:00.000Z"))).toISOString(),
      // A kind the ledger does not know is what a foreign writer may well write.
      kind: kind as RecordKind,
      ...columns,
      data,
    };
    return { records: [{ ...body, hash: recordHash(head?.hash ?? GENESIS_HASH, body) }], checkpoint: null };
  });
  return record!.seq;
}
