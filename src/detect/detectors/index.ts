// Every detector's runtime half, by name: the engine builds one of each over its shared state.
import type { DetectorName } from "../config.js";
import type { DetectorFactory } from "../types.js";
import { canaryDetector } from "./canary/index.js";
import { dlpDetector } from "./dlp/index.js";
import { driftDetector } from "./drift/index.js";
import { flowDetector } from "./flow/index.js";
import { intentDetector } from "./intent/index.js";
import { rateDetector } from "./rate/index.js";

/**
 * The factory of every detector of DETECTOR_CONFIGS (detect/config.ts); the compiler refuses a missing or
 * extra one. The engine runs the detectors in this order, which is the order of their findings and
 * alerts; of two findings of the same strength the first names the verdict (a canary before DLP).
 */
export const DETECTORS = {
  canary: canaryDetector,
  dlp: dlpDetector,
  flow: flowDetector,
  intent: intentDetector,
  drift: driftDetector,
  rate: rateDetector,
} satisfies { [N in DetectorName]: DetectorFactory<N> };
