// The `detect.canary` entry: what a canary token in the arguments does.
import * as z from "zod";
import { type DetectAction, detectAction, detectorConfig } from "../config.js";

export const canaryConfig = detectorConfig({
  name: "canary",
  schema: z.strictObject({ action: detectAction.default("deny") }),
  // Absent is not off: canaries deny by default (the detector's actionOf).
  compile: (doc): { action: DetectAction } | null => doc ?? null,
});
