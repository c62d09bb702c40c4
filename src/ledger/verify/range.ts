// Verifies the stretches of a ledger that hold some given records (a page of a filtered listing), with the verifier's checker.
import type { Checkpoint, LedgerRecord, LedgerStore } from "../types.js";
import { Checker } from "./checker.js";
import type { VerifyKey } from "./key.js";
import type { VerifyFailure } from "./result.js";
import { Rotations } from "./rotations.js";

/** Records a range check reads at most, all segments together; the rest is reported unchecked. */
export const RANGE_READ_LIMIT = 20_000;
const PAGE = 1000;

/**
 * One stretch of a chain: from the record after a signed checkpoint (or seq 1) up to the next signed
 * checkpoint, or to the chain's head when none follows yet.
 */
export interface RangeSegment {
  chain: string;
  /** First record read (the one after the anchoring checkpoint). */
  from: number;
  /** Last record read. */
  through: number;
  /** The signed checkpoint the segment starts after (0: the chain's first record). */
  anchoredAt: number;
  /**
   * sealed: the records hash-chain from a valid checkpoint (or the start) to a valid checkpoint;
   * unsealed: they chain correctly but no checkpoint signs them yet; failed: the checker refused them;
   * unchecked: not read (the read limit was reached).
   */
  state: "sealed" | "unsealed" | "failed" | "unchecked";
}

export interface RangeVerification {
  /** The worst state over the segments: failed > unchecked > unsealed > sealed ("empty": no record given). */
  state: "sealed" | "unsealed" | "failed" | "unchecked" | "empty";
  segments: RangeSegment[];
  /** Records re-hashed. */
  records: number;
  /** The first problem found, as the full verifier reports it. */
  failure: VerifyFailure | null;
  keySource: VerifyKey["source"];
}

/**
 * Checks the records at `positions` the way `warden verify` checks a whole ledger, but only over the
 * segments between signed checkpoints that contain them: each segment is re-hashed from its anchoring
 * checkpoint (signature verified) to the next checkpoint (signature verified, hash compared). Chain-wide
 * rules (unsealed tail age, the set of chains) belong to a full verification and are not judged here.
 *
 * @example
 * const range = await verifyRange(store, page.map((r) => ({ chain: r.chain, seq: r.seq })), key);
 * if (range.state === "failed") console.error(range.failure?.message);
 */
export async function verifyRange(
  store: LedgerStore,
  positions: readonly { chain: string; seq: number }[],
  key: VerifyKey,
): Promise<RangeVerification> {
  const segments = await segmentsOf(store, positions);
  const rotations = segments.length > 0 ? await rotationsOf(store) : [];
  let budget = RANGE_READ_LIMIT;
  let records = 0;
  let failure: VerifyFailure | null = null;
  for (const segment of segments) {
    const length = segment.through - segment.from + 1;
    if (failure || length > budget) continue;
    budget -= length;
    const checked = await checkSegment(store, segment, key, rotations);
    records += checked.records;
    segment.state = checked.state;
    failure ??= checked.failure;
  }
  return { state: worst(segments), segments, records, failure, keySource: key.source };
}

/** The distinct segments holding `positions`, in chain then seq order, each still "unchecked". */
async function segmentsOf(
  store: LedgerStore,
  positions: readonly { chain: string; seq: number }[],
): Promise<RangeSegment[]> {
  const byChain = new Map<string, Set<number>>();
  for (const p of positions) byChain.set(p.chain, (byChain.get(p.chain) ?? new Set()).add(p.seq));
  const segments: RangeSegment[] = [];
  for (const [chain, seqs] of [...byChain].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const signed = (await store.checkpoints(chain)).map((c) => c.seq).sort((a, b) => a - b);
    const head = (await store.head(chain))?.seq ?? 0;
    const seen = new Set<number>();
    for (const seq of [...seqs].sort((a, b) => a - b)) {
      const before = lastBelow(signed, seq);
      if (seen.has(before)) continue;
      seen.add(before);
      const next = signed.find((s) => s >= seq);
      segments.push({
        chain,
        from: before + 1,
        through: next ?? Math.max(head, seq),
        anchoredAt: before,
        state: "unchecked",
      });
    }
  }
  return segments;
}

/** The ledger's key.rotate records, each with the first checkpoint of its chain at or after it. */
async function rotationsOf(
  store: LedgerStore,
): Promise<{ record: LedgerRecord; anchor: Checkpoint | null }[]> {
  const records = await store.query({ kinds: ["key.rotate"], limit: 10_000 });
  const out: { record: LedgerRecord; anchor: Checkpoint | null }[] = [];
  // Each chain's checkpoints read once, however many rotations it holds.
  const byChain = new Map<string, Checkpoint[]>();
  for (const record of records.sort((a, b) =>
    a.chain < b.chain ? -1 : a.chain > b.chain ? 1 : a.seq - b.seq,
  )) {
    let checkpoints = byChain.get(record.chain);
    if (!checkpoints) {
      checkpoints = [...(await store.checkpoints(record.chain))].sort((a, b) => a.seq - b.seq);
      byChain.set(record.chain, checkpoints);
    }
    const anchor = checkpoints.find((c) => c.seq >= record.seq);
    out.push({ record, anchor: anchor ?? null });
  }
  return out;
}

/**
 * A key a rotation retired vouches only for what existed before it (rotations.ts). The rotation records
 * are read here without their chain being checked: they can only make a range fail, never pass.
 */
function retiredKeyFailure(
  checkpoints: readonly Checkpoint[],
  key: VerifyKey,
  rotations: readonly { record: LedgerRecord; anchor: Checkpoint | null }[],
): VerifyFailure | null {
  if (rotations.length === 0) return null;
  const judged = new Rotations();
  for (const { record } of rotations) judged.add(record.chain, record.seq, record.data);
  for (const { anchor } of rotations) {
    if (anchor) judged.checkpoint(anchor.chain, anchor.seq, anchor.keyId, anchor.chains ?? null, anchor.hash);
  }
  for (const c of checkpoints) judged.checkpoint(c.chain, c.seq, c.keyId, c.chains ?? null, c.hash);
  const problem = judged.problem(key.keyId, null);
  if (problem === null) return null;
  return {
    ok: false,
    chain: problem.chain,
    seq: problem.seq,
    problem: "checkpoint-unknown-key",
    message: problem.message,
    keySource: key.source,
  };
}

async function checkSegment(
  store: LedgerStore,
  segment: RangeSegment,
  key: VerifyKey,
  rotations: readonly { record: LedgerRecord; anchor: Checkpoint | null }[],
): Promise<{ state: RangeSegment["state"]; records: number; failure: VerifyFailure | null }> {
  const checker = new Checker(key);
  const checkpoints = (await store.checkpoints(segment.chain)).filter(
    (c) => c.seq >= segment.anchoredAt && c.seq <= segment.through,
  );
  let next = 0;
  const emitCheckpointsThrough = (seq: number) => {
    while (next < checkpoints.length && checkpoints[next]!.seq <= seq)
      checker.checkpoint(exportLine("checkpoint", checkpoints[next++]!), undefined, true);
  };
  // The anchor's signature is checked, and its signed hash is what the first record must chain to.
  if (segment.anchoredAt > 0) emitCheckpointsThrough(segment.anchoredAt);
  let records = 0;
  let expected = segment.from;
  while (!checker.failure && expected <= segment.through) {
    const page = await store.readChain(
      segment.chain,
      expected,
      Math.min(PAGE, segment.through - expected + 1),
    );
    for (const r of page) {
      checker.record(exportLine("record", r), undefined, true);
      records++;
      emitCheckpointsThrough(r.seq);
      if (checker.failure) break;
    }
    if (page.length === 0) break;
    expected = page.at(-1)!.seq + 1;
  }
  if (!checker.failure && expected <= segment.through)
    checker.fail("seq-gap", segment.chain, expected, `records ${expected}..${segment.through} are missing`);
  if (!checker.failure && segment.anchoredAt > 0 && checkpoints[0]?.seq !== segment.anchoredAt)
    checker.fail("checkpoint-order", segment.chain, segment.anchoredAt, "the anchoring checkpoint is gone");
  if (checker.failure) return { state: "failed", records, failure: checker.failure };
  const retired = retiredKeyFailure(checkpoints, key, rotations);
  if (retired) return { state: "failed", records, failure: retired };
  const sealed = checkpoints.some((c) => c.seq === segment.through);
  return { state: sealed ? "sealed" : "unsealed", records, failure: null };
}

/** A store object as the export's line of that type: plain JSON, so absent fields are absent. */
function exportLine(type: "record" | "checkpoint", value: object): unknown {
  return { type, ...(JSON.parse(JSON.stringify(value)) as object) };
}

/** The largest of the ascending `signed` seqs below `seq`, or 0. */
function lastBelow(signed: readonly number[], seq: number): number {
  let found = 0;
  for (const s of signed) {
    if (s >= seq) break;
    found = s;
  }
  return found;
}

const RANK = { sealed: 0, unsealed: 1, unchecked: 2, failed: 3 } as const;

function worst(segments: readonly RangeSegment[]): RangeVerification["state"] {
  if (segments.length === 0) return "empty";
  return segments.reduce<RangeSegment["state"]>(
    (acc, s) => (RANK[s.state] > RANK[acc] ? s.state : acc),
    "sealed",
  );
}
