// "Did you mean": the known word closest to a mistyped command or option, when it is close enough.
import { distance } from "fastest-levenshtein";

/**
 * The candidate nearest to `given` by edit distance, or null when none is near: at most a third of
 * the longer word's letters may differ (at least 1, at most 3), so `verfy` finds `verify` and `x` finds nothing.
 * @example
 * closest("verfy", ["verify", "export"]); // "verify"
 */
export function closest(given: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = distance(given, candidate);
    const allowed = Math.min(3, Math.max(1, Math.floor(Math.max(given.length, candidate.length) / 3)));
    if (d <= allowed && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** " (did you mean X?)" or "". */
export function didYouMean(given: string, candidates: readonly string[]): string {
  const near = closest(given, candidates);
  return near === null ? "" : ` (did you mean ${near}?)`;
}
