// What a key that a key.rotate record retired may still vouch for: checkpoints the rotation shows existed before it, nothing newer.
import { isObject } from "./checkpoint.js";

/** A verified key.rotate record and the first checkpoint of its chain at or after it. */
interface Rotation {
  chain: string;
  seq: number;
  /** The retired key's id; null when the rotation could not read it (the old ledger.pub was gone). */
  from: string | null;
  to: string | null;
  /**
   * Every chain's signed head when the rotation was made, with its hash (records from this version on):
   * what the old key signed up to there is pinned, so it cannot be rewritten and signed again.
   */
  heads: ReadonlyMap<string, { seq: number; hash: string }>;
  /** The record carries `heads`: on another chain the old key vouches for nothing past its pinned head. */
  pinned: boolean;
  /** That first checkpoint: its key and, for format 2, every chain's signed head when it was signed. */
  anchor: { keyId: string; chains: Readonly<Record<string, number>> | null } | null;
}

/** The checkpoints one key signed on one chain: the lowest and highest seq. */
interface Span {
  first: number;
  last: number;
}

export interface RotationProblem {
  chain: string;
  seq: number;
  message: string;
}

/**
 * The rule, from signed data only (a checkpoint's time is signed, but the holder of an old key can
 * backdate it). `warden key rotate` appends the key.rotate record and, in the same transaction, a
 * format-2 checkpoint signed with the new key whose `chains` holds every chain's last signed seq. So a
 * key named `from` may sign, on the rotation's chain, only checkpoints before the record; on another
 * chain only up to the seq that checkpoint (the anchor) signed for it; on a chain it does not name,
 * nothing. A key named by several rotations must satisfy each.
 *
 * A trusted key that no rotation names (neither `from` nor `to`) and that is not the verifying key is
 * refused: rotate names every key it retires, so such a key vouches for nothing the ledger shows. Only a
 * rotation whose `from` is null (the old public key was unreadable) may have retired it: then it may
 * sign what one of those rotations allows. One exception: a ledger that holds every chain from its
 * first record and no rotation record was written before any rotation (an archive exported then), so
 * every trusted key is accepted there. Once a chain resumes after archived records, a rotation record
 * may have gone with them, and the rule holds again; so it does when the other trusted keys are known
 * to be retired ones (the files beside a database, an export header's retiredKeys): then a rotation
 * record was there, and whoever holds the old key removed it with what followed, to sign on with it.
 * (With keys given, only a witness, `--against` an export made since the rotation, shows that.)
 *
 * Checkpoints are judged at the end of the stream, so the order of the chains does not matter; on the
 * rotation's own chain a retired key fails at once (see `retiredAt`).
 */
export class Rotations {
  readonly #list: Rotation[] = [];
  /** Checkpoints verified so far: key id → chain → the span of seqs it signed. */
  readonly #signed = new Map<string, Map<string, Span>>();
  /** The hash each verified checkpoint signed: chain → seq → hash. */
  readonly #hashes = new Map<string, Map<number, string>>();

  /** A hash-verified key.rotate record at `chain`#`seq` with its data as parsed JSON. */
  add(chain: string, seq: number, data: unknown): void {
    if (!isObject(data)) return;
    this.#list.push({
      chain,
      seq,
      from: typeof data.from === "string" ? data.from : null,
      to: typeof data.to === "string" ? data.to : null,
      heads: headsOf(data.heads),
      pinned: isObject(data.heads),
      anchor: null,
    });
  }

  /** The rotation on `chain` that retired `keyId` at or before `seq`, if any: such a checkpoint is refused at once. */
  retiredAt(chain: string, seq: number, keyId: string): { chain: string; seq: number } | null {
    const r = this.#list.find((r) => r.from === keyId && r.chain === chain && seq >= r.seq);
    return r ? { chain: r.chain, seq: r.seq } : null;
  }

  /** A checkpoint whose signature verified: noted for the end, and the anchor of rotations it is the first to seal. */
  checkpoint(
    chain: string,
    seq: number,
    keyId: string,
    chains: Readonly<Record<string, number>> | null,
    hash: string,
  ): void {
    let hashes = this.#hashes.get(chain);
    if (!hashes) {
      hashes = new Map();
      this.#hashes.set(chain, hashes);
    }
    hashes.set(seq, hash);
    for (const r of this.#list) {
      if (r.anchor === null && r.chain === chain && seq >= r.seq) r.anchor = { keyId, chains };
    }
    let byChain = this.#signed.get(keyId);
    if (!byChain) {
      byChain = new Map();
      this.#signed.set(keyId, byChain);
    }
    const span = byChain.get(chain);
    if (span) span.last = seq;
    else byChain.set(chain, { first: seq, last: seq });
  }

  /**
   * Why a checkpoint or end line signed with `keyId` cannot vouch for the ledger's newest state, or null.
   * `strict`: why a ledger with no rotation record is judged by the rules too (null: it is not).
   */
  refusal(keyId: string, verifying: string | null, strict: string | null): string | null {
    if (this.#list.length === 0 && strict === null) return null;
    const retiring = this.#list.find((r) => r.from === keyId);
    if (retiring) return `the key was retired by the key.rotate record at ${retiring.chain}#${retiring.seq}`;
    if (keyId === verifying || this.#list.some((r) => r.to === keyId)) return null;
    return "the key is not the verifying key and no key.rotate record here names it";
  }

  /** The first checkpoint signed with a retired key past what its rotation allows, or null; `strict` as for `refusal`. */
  problem(verifying: string | null, strict: string | null): RotationProblem | null {
    if (this.#list.length === 0 && strict === null) return null;
    const rewritten = rewrittenHeadOf(this.#list, this.#hashes);
    if (rewritten) return rewritten;
    for (const [keyId, byChain] of this.#signed) {
      const retiring = this.#list.filter((r) => r.from === keyId);
      if (retiring.length === 0) {
        if (keyId === verifying || this.#list.some((r) => r.to === keyId)) continue;
        const unnamed = this.#list.filter((r) => r.from === null);
        for (const [chain, span] of byChain) {
          if (unnamed.some((r) => allowed(r, chain) >= span.last)) continue;
          return {
            chain,
            seq: span.first,
            message: `checkpoint signed with ${keyId}, which is not the verifying key and which no key.rotate record here names${unnamed.length > 0 ? " (nor does a rotation whose old key was unknown allow it here)" : ""}: a key a rotation retired must be named by it${this.#list.length === 0 && strict !== null ? `; ${strict}` : ""}`,
          };
        }
        continue;
      }
      for (const [chain, span] of byChain) {
        for (const r of retiring) {
          const limit = allowed(r, chain);
          if (span.last <= limit) continue;
          const where =
            r.chain === chain
              ? `only before seq ${r.seq} of this chain`
              : limit === 0
                ? "nothing on this chain (the rotation and the new key's checkpoint sealing it do not both name it)"
                : `this chain only up to seq ${limit}, as pinned by the rotation and signed by the new key's checkpoint sealing it`;
          return {
            chain,
            seq: span.first > limit ? span.first : span.last,
            message: `checkpoint signed with ${keyId}, retired by the key.rotate record at ${r.chain}#${r.seq}: it may sign ${where}, and signs here up to seq ${span.last}`,
          };
        }
      }
    }
    return null;
  }
}

/**
 * Only a seq was signed for each chain by the new key's checkpoint sealing a rotation; the rotation
 * record, which that checkpoint seals, pins each chain's head by its hash too. A checkpoint at a pinned
 * seq that signs another hash means the chain was rewritten before the rotation and signed again, by
 * whoever holds the old key. (A pinned checkpoint that is gone leaves the records after the one before
 * it an unsealed tail, which the tail rules judge.)
 */
function rewrittenHeadOf(
  list: readonly Rotation[],
  hashes: ReadonlyMap<string, ReadonlyMap<number, string>>,
): RotationProblem | null {
  for (const r of list) {
    // The record is vouched for only by the new key's checkpoint sealing it.
    if (r.anchor === null || r.anchor.keyId !== r.to) continue;
    for (const [chain, head] of r.heads) {
      if (chain === r.chain) continue;
      const signed = hashes.get(chain)?.get(head.seq);
      if (signed === undefined || signed === head.hash) continue;
      return {
        chain,
        seq: head.seq,
        message: `the checkpoint at seq ${head.seq} signs another hash than the key.rotate record at ${r.chain}#${r.seq} pinned for this chain: its records were rewritten and signed again after the rotation`,
      };
    }
  }
  return null;
}

/** A rotation record's `heads` (chain → {seq, hash}); empty for one written before they were recorded. */
function headsOf(value: unknown): Map<string, { seq: number; hash: string }> {
  const heads = new Map<string, { seq: number; hash: string }>();
  if (!isObject(value)) return heads;
  for (const [chain, head] of Object.entries(value)) {
    if (isObject(head) && typeof head.seq === "number" && typeof head.hash === "string")
      heads.set(chain, { seq: head.seq, hash: head.hash });
  }
  return heads;
}

/** The highest seq of `chain` the key `r` retired may have signed (0: none). */
function allowed(r: Rotation, chain: string): number {
  if (r.chain === chain) return r.seq - 1;
  // Only the new key vouches for the state at rotation time; a format-1 checkpoint names no other chain.
  if (r.anchor === null || r.anchor.keyId !== r.to || r.anchor.chains === null) return 0;
  const attested = r.anchor.chains[chain] ?? 0;
  // Past the head the record pins by hash, a seq alone would let the old key sign a rewrite (a writer
  // whose checkpoint came between the rotation reading the heads and committing leaves such a gap).
  if (r.pinned) return Math.min(attested, r.heads.get(chain)?.seq ?? 0);
  return attested;
}
