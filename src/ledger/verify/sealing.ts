// What the end of a verified ledger must satisfy: tails the writer's signed cadence allows, every signed chain present, every witness here.
import type { CheckpointScope } from "./checkpoint.js";
import type { ChainSummary, VerifyProblem } from "./result.js";

/** A writer's promise, signed in each format-2 checkpoint: a checkpoint once `records` are unsigned, and `seconds` after a record. */
export interface Cadence {
  records: number;
  seconds: number;
}

/** The documented default cadence, held against chains that have no format-2 checkpoint yet. */
export const DEFAULT_CADENCE: Cadence = { records: 1000, seconds: 10 };

/**
 * How old the unsealed tail may be, in multiples of the signed cadence: the writer's timer may fire up
 * to one period after a record, and the verifier's clock may differ from the writer's.
 */
export const TAIL_AGE_FACTOR = 2;

/** A verifier's state for one chain while records and checkpoints stream in. */
export interface ChainState {
  summary: ChainSummary;
  nextSeq: number;
  lastHash: string;
  /** The first checkpoint seen before its record, if any: the log was cut, or lines were moved. */
  pendingSeq: number | null;
  /** The signed chains and cadence of the chain's last checkpoint (null: none, or a format-1 one). */
  lastScope: CheckpointScope | null;
  /** The latest time (ms) among the unsealed tail's records, and whether a record there went back in time. */
  unsealedLatest: number | null;
  unsealedDisordered: boolean;
}

/** How far a record's time may run ahead of the verifier's clock (writer and verifier clocks differ). */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface SealingRules {
  /** When the tail's age is measured; null or absent: no age check (nothing trustworthy to measure against). */
  now?: Date | null;
  /** The cadence for chains with no format-2 checkpoint (default DEFAULT_CADENCE). */
  cadence?: Cadence;
  /** Checkpoints taken elsewhere, as export lines (see witness.ts): each must be here, over the same record. */
  witnesses?: readonly unknown[];
}

export interface SealingProblem {
  problem: VerifyProblem;
  chain: string | null;
  seq: number | null;
  message: string;
}

/** The first rule a verified stream breaks, or null. */
export function sealingProblem(
  chains: ReadonlyMap<string, ChainState>,
  rules: SealingRules,
): SealingProblem | null {
  // Chains that resume at a checkpoint with no record after it do not count: with every record gone,
  // what is left cannot be told from a ledger emptied down to its last checkpoint.
  if ([...chains.values()].every((st) => st.summary.records === 0)) {
    return { problem: "empty", chain: null, seq: null, message: "the ledger holds no record" };
  }
  for (const st of chains.values()) {
    const tail = tailProblem(st, rules);
    if (tail) return tail;
  }
  for (const st of chains.values()) {
    const missing = missingChain(st, chains);
    if (missing) return missing;
  }
  return null;
}

/** The chains a chain's last checkpoint attests must be here, each at least as far as attested. */
function missingChain(st: ChainState, chains: ReadonlyMap<string, ChainState>): SealingProblem | null {
  const attested = st.lastScope?.chains ?? {};
  const by = `${st.summary.chain}'s checkpoint at seq ${st.summary.lastCheckpointSeq}`;
  for (const name of Object.keys(attested).sort()) {
    const seq = attested[name]!;
    const other = chains.get(name);
    if (!other) {
      return {
        problem: "chain-missing",
        chain: name,
        seq: null,
        message: `chain ${name} is missing; ${by} attests it was signed up to seq ${seq}`,
      };
    }
    if (other.summary.lastCheckpointSeq < seq) {
      return {
        problem: "chain-missing",
        chain: name,
        seq: other.summary.lastCheckpointSeq + 1,
        message: `chain ${name} ends at checkpoint ${other.summary.lastCheckpointSeq}; ${by} attests one at seq ${seq}: it was cut`,
      };
    }
  }
  return null;
}

/** Records past the last checkpoint: fewer than the cadence's count, none older than its period allows. */
function tailProblem(st: ChainState, rules: SealingRules): SealingProblem | null {
  const { chain, unsealed, unsealedSince, lastCheckpointSeq } = st.summary;
  if (unsealed === 0) return null;
  const cadence = st.lastScope?.cadence ?? rules.cadence ?? DEFAULT_CADENCE;
  const first = lastCheckpointSeq + 1;
  if (unsealed >= cadence.records) {
    return {
      problem: "unsealed-tail",
      chain,
      seq: first,
      message: `${unsealed} records follow the last checkpoint; the writer signs at least every ${cadence.records}`,
    };
  }
  const now = rules.now;
  if (!now || unsealedSince === null) return null;
  // Without a witness the unsigned tail is only as good as its times: records dated after the check, or
  // out of order, could have been written after the checkpoints that came later were removed.
  if (
    st.unsealedDisordered ||
    (st.unsealedLatest !== null && st.unsealedLatest > now.getTime() + CLOCK_SKEW_MS)
  ) {
    return {
      problem: "unsealed-tail",
      chain,
      seq: first,
      message: `the ${unsealed} records after the last checkpoint are dated ${st.unsealedDisordered ? "out of order" : "after this check"}: no writer made them so`,
    };
  }
  if (cadence.seconds === 0) return null;
  const ageMs = now.getTime() - Date.parse(unsealedSince);
  const allowedMs = cadence.seconds * TAIL_AGE_FACTOR * 1000;
  if (!(ageMs <= allowedMs)) {
    return {
      problem: "unsealed-tail",
      chain,
      seq: first,
      message: `the ${unsealed} records after the last checkpoint are ${Math.round(ageMs / 1000)} s old; the writer signs within ${cadence.seconds} s (a writer that stopped without closing leaves this: open the chain again to sign it)`,
    };
  }
  return null;
}
