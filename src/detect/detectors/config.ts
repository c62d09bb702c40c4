// What every detector's config (detectors/<name>/config.ts) is written in: actions, labels, the config's shape.
import * as z from "zod";
import { ID_PATTERN } from "../../config/index.js";

/** What a detector finding does: record it, record an alert, or turn the call into ask / deny. */
export type DetectAction = "log" | "alert" | "ask" | "deny";

export const detectAction = z.enum(["log", "alert", "ask", "deny"]);
/** Detectors that score behaviour after the fact only raise alerts; they never refuse a call. */
export const alertAction = z.enum(["log", "alert"]);
/** A data label of `tools:` (`reads:`, `sends:`), as flow rules name it too. */
export const label = z.string().regex(ID_PATTERN, "a label uses only letters, digits and _ . : -");

/**
 * A detector's light half, read with the policy: its name (its key under `detect:` and in `suppress:`),
 * the schema of its entry with the defaults, and the compile of that entry (absent: `undefined`, the
 * detector's "off") into the settings its runtime half reads as `DetectSettings[name]`.
 */
export interface DetectorConfig<N extends string, S extends z.ZodType, T> {
  readonly name: N;
  readonly schema: S;
  compile(doc: z.output<S> | undefined): T;
}

/** Declares a detector's config half, keeping its literal name and its types. */
export function detectorConfig<const N extends string, S extends z.ZodType, T>(
  config: DetectorConfig<N, S, T>,
): DetectorConfig<N, S, T> {
  return config;
}
