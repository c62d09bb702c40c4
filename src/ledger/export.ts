// Streams a ledger to a self-contained JSONL file that verifyJsonl checks offline, sealed by a signed end line.
import { createPublicKey, type KeyObject, sign } from "node:crypto";
import { once } from "node:events";
import { createWriteStream, existsSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { finished } from "node:stream/promises";
import { canonicalJson } from "../digest.js";
import { WardenError } from "../errors.js";
import { defaultKeyPaths, keyIdOf, loadPublicKey } from "./keys.js";
import { openStoreAt } from "./stores/open.js";
import { type Checkpoint, GENESIS_HASH, type LedgerStore } from "./types.js";
import { keyFileBeside } from "./verify/database.js";

const PAGE = 4096;

/** The export format: 2 ends with a signed end line (format 1 files, unsigned, still verify). */
export const EXPORT_VERSION = 2;

export interface ExportOptions {
  /**
   * The ledger's Ed25519 private key, which signs the end line (what the file holds: its totals and each
   * chain's last record), so no line can be dropped or the end rewritten without the key.
   */
  signingKey: KeyObject;
  /** The key to put in the header; default the `.pub` beside a database path, else the signing key's public half. */
  publicKey?: KeyObject | null;
  clock?: () => Date;
  /** Told the records written so far and the records the chains hold (for a progress bar). */
  onProgress?: (done: number, total: number) => void;
}

export interface ExportSummary {
  chains: string[];
  records: number;
  checkpoints: number;
}

/**
 * Writes `{"type":"warden.ledger","version":2,"publicKey":<base64 SPKI DER or null>}`, then each chain's
 * records in seq order with every checkpoint right after the record at its seq, then the end line
 * `{"type":"end","records":N,"checkpoints":M,"chains":{<chain>:{seq,hash}},"ts",keyId,signature}`,
 * signed like a checkpoint over canonical {type, records, checkpoints, chains, ts}. The file appears at
 * `outPath` only once complete. `out` may instead be a stream (standard output for `--jsonl -`): the
 * lines go there as they are made, and the stream is left open.
 *
 * @example
 * const signingKey = await loadSigningKey(".warden/ledger.key");
 * const { records } = await exportJsonl(".warden/ledger.db", "ledger.jsonl", { signingKey });
 * // or every instance's chains from PostgreSQL: exportJsonl("postgres://auditor@db/warden", "ledger.jsonl", { signingKey })
 */
export async function exportJsonl(
  source: LedgerStore | string,
  out: string | NodeJS.WritableStream,
  options: ExportOptions,
): Promise<ExportSummary> {
  const signingKey = options.signingKey;
  if (signingKey?.type !== "private" || signingKey.asymmetricKeyType !== "ed25519") {
    throw new WardenError(
      "LEDGER_KEY_MISSING",
      "an export's end line is signed: give the ledger's signing key",
    );
  }
  const ownStore = typeof source === "string";
  const store = typeof source === "string" ? await openStoreAt(source, { readonly: true }) : source;
  const tmp = typeof out === "string" ? `${out}.${process.pid}.tmp` : null;
  try {
    const publicKey =
      options.publicKey !== undefined
        ? options.publicKey
        : ((await publicKeyOf(store, typeof source === "string" ? source : null)) ?? signingKey);
    // An end line signed by another key fails every verification: refuse before writing anything.
    if (publicKey && spkiBase64(publicKey) !== spkiBase64(signingKey)) {
      throw new WardenError(
        "LEDGER_KEY_MISMATCH",
        `the signing key (${keyIdOf(signingKey)}) is not the ledger's key (${keyIdOf(publicKey)}): give the ledger's own ledger.key`,
      );
    }
    const sink: NodeJS.WritableStream =
      tmp === null ? (out as NodeJS.WritableStream) : createWriteStream(tmp, { mode: 0o600 });
    // Keep a write error (a full disk, a closed pipe) instead of letting it crash the process as an unhandled 'error' event.
    let failure: Error | null = null;
    const onError = (err: Error) => {
      failure = err;
    };
    sink.on("error", onError);
    // One promise for the stream's end, not one per write: each call to finished() adds listeners.
    const ended = finished(sink);
    ended.catch(() => undefined);
    const write = async (text: string) => {
      if (failure) throw failure;
      if (text !== "" && !sink.write(text)) await Promise.race([once(sink, "drain"), ended]);
    };
    // Keys a rotation retired still verify the checkpoints before it: the file carries them, as the
    // ledger.retired-*.pub files beside the database do for `warden verify` there.
    const retired = options.publicKey !== undefined ? [] : await retiredKeysOf(store);
    const header = {
      type: "warden.ledger",
      version: EXPORT_VERSION,
      publicKey: publicKey ? spkiBase64(publicKey) : null,
      ...(retired.length > 0 ? { retiredKeys: retired.map(spkiBase64) } : {}),
    };
    await write(`${JSON.stringify(header)}\n`);
    const summary: ExportSummary = { chains: await store.chains(), records: 0, checkpoints: 0 };
    const heads: Record<string, { seq: number; hash: string }> = {};
    let total = 0;
    if (options.onProgress) {
      for (const chain of summary.chains) total += (await store.head(chain))?.seq ?? 0;
    }
    for (const chain of summary.chains) {
      heads[chain] = { seq: 0, hash: GENESIS_HASH };
      // Checkpoints first: every one of them then refers to a record this export will contain.
      const checkpoints = await store.checkpoints(chain);
      let next = 0;
      let started = false;
      for (let from = 1; ; ) {
        const page = await store.readChain(chain, from, PAGE);
        if (page.length === 0) break;
        let chunk = "";
        for (const r of page) {
          // A chain whose early records were archived resumes at a checkpoint before its first record.
          while (!started && next < checkpoints.length && checkpoints[next]!.seq < r.seq)
            chunk += line(checkpoints[next++]!);
          started = true;
          chunk += `${JSON.stringify({ type: "record", ...r })}\n`;
          while (next < checkpoints.length && checkpoints[next]!.seq <= r.seq)
            chunk += line(checkpoints[next++]!);
        }
        summary.records += page.length;
        options.onProgress?.(summary.records, Math.max(total, summary.records));
        heads[chain] = { seq: page.at(-1)!.seq, hash: page.at(-1)!.hash };
        await write(chunk);
        from = page.at(-1)!.seq + 1;
      }
      // Checkpoints past the last record stay in, so the export shows a cut log as cut.
      let rest = "";
      while (next < checkpoints.length) rest += line(checkpoints[next++]!);
      await write(rest);
      summary.checkpoints += checkpoints.length;
    }
    await write(
      `${JSON.stringify(endLine(summary, heads, signingKey, options.clock ?? (() => new Date())))}\n`,
    );
    if (tmp !== null) {
      sink.end();
      await finished(sink);
      await rename(tmp, out as string);
    } else {
      sink.off("error", onError);
      if (failure) throw failure;
    }
    return summary;
  } catch (err) {
    if (tmp !== null) await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  } finally {
    if (ownStore) await store.close();
  }
}

/** The end line: what the file holds, signed with the ledger key. */
function endLine(
  summary: ExportSummary,
  heads: Record<string, { seq: number; hash: string }>,
  key: KeyObject,
  clock: () => Date,
) {
  const body = {
    type: "end",
    records: summary.records,
    checkpoints: summary.checkpoints,
    chains: heads,
    ts: clock().toISOString(),
  };
  const signature = sign(null, Buffer.from(canonicalJson(body), "utf8"), key).toString("base64");
  return { ...body, keyId: keyIdOf(key), signature };
}

function line(c: Checkpoint): string {
  return `${JSON.stringify({ type: "checkpoint", ...c })}\n`;
}

function spkiBase64(key: KeyObject): string {
  // Accept the private key too: its public half is what a verifier needs.
  const pub = key.type === "private" ? createPublicKey(key) : key;
  return pub.export({ type: "spki", format: "der" }).toString("base64");
}

/** The public keys retired by rotations of a SQLite ledger (ledger.retired-*.pub beside it); none elsewhere. */
async function retiredKeysOf(store: LedgerStore): Promise<KeyObject[]> {
  if (store.publicKeys || !store.file) return [];
  const [, ...retired] = keyFileBeside(store.file);
  return Promise.all(retired.map((path) => loadPublicKey(path)));
}

/** The key registered in the database (every PostgreSQL instance signs with the same one), or the one beside its file. */
async function publicKeyOf(store: LedgerStore, given: string | null): Promise<KeyObject | null> {
  if (store.publicKeys) {
    const [spki] = await store.publicKeys();
    return spki ? createPublicKey({ key: Buffer.from(spki, "base64"), format: "der", type: "spki" }) : null;
  }
  const path = store.file ?? given;
  if (path === null || path === undefined) return null;
  const pub = defaultKeyPaths(path).publicKey;
  return existsSync(pub) ? loadPublicKey(pub) : null;
}
