// The `detect.drift` entry: when a tool-to-tool transition is rare enough for an alert.
import * as z from "zod";
import { alertAction, type DetectAction, detectorConfig } from "../config.js";

export interface DriftSettings {
  action: DetectAction;
  threshold: number;
  minObservations: number;
}

export const driftConfig = detectorConfig({
  name: "drift",
  schema: z.strictObject({
    action: alertAction.default("alert"),
    /** A transition seen less often than this share of the calls after the same tool is rare. */
    threshold: z.number().gt(0).lt(1).default(0.02),
    /** Calls after a tool the baseline must hold before a rare transition raises anything. */
    minObservations: z.int().positive().default(50),
  }),
  compile: (doc): DriftSettings | null => doc ?? null,
});
