// The `detect.intent` entry: calls outside the tools the session's declared intent maps to (`intents:`).
import * as z from "zod";
import { type DetectAction, detectAction, detectorConfig } from "../config.js";

export const intentConfig = detectorConfig({
  name: "intent",
  schema: z.strictObject({ action: detectAction.default("alert") }),
  compile: (doc): { action: DetectAction } | null => doc ?? null,
});
