// The `detect.rate` entry: when an agent's calls in a minute are a spike against its own average.
import * as z from "zod";
import { alertAction, type DetectAction, detectorConfig } from "../config.js";

export interface RateSettings {
  action: DetectAction;
  factor: number;
  minMinutes: number;
  minCalls: number;
}

export const rateConfig = detectorConfig({
  name: "rate",
  schema: z.strictObject({
    action: alertAction.default("alert"),
    /** Alert when a minute holds more than `factor` × the agent's moving average of calls per minute. */
    factor: z.number().gt(1).default(5),
    /** Minutes of history before the average counts, and calls a minute must reach at least. */
    minMinutes: z.int().positive().default(10),
    minCalls: z.int().positive().default(20),
  }),
  compile: (doc): RateSettings | null => doc ?? null,
});
