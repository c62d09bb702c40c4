// The detections contract: what a detector sees of a call and what it reports.
import type { JsonValue } from "../json.js";
import type { Baseline } from "./baseline.js";
import type { DetectorName, DetectSettings } from "./config.js";
import type { CanarySet } from "./detectors/canary/canaries.js";
import type { DetectAction } from "./detectors/config.js";
import type { SessionStates } from "./session-state.js";

export type Severity = "low" | "medium" | "high" | "critical";

/** A call as the pre-execution detectors see it, after policy decided it. */
export interface DetectInput {
  callId: string;
  tool: string;
  args: JsonValue;
  /**
   * `parent`: the session this sub-agent session was opened under; `root`: the first session of its
   * tree (the first agent's, however deep the sub-agent). Reads, values and volume are the tree's.
   */
  session: { id: string; agent: string; intent: string; parent?: string | null; root?: string | null };
  now: number;
}

/** One thing a detector noticed. `data` must never hold a matched secret or personal value. */
export interface Finding {
  detector: DetectorName;
  severity: Severity;
  action: DetectAction;
  message: string;
  /** Calls that caused it besides the current one (e.g. the read a flow rule links to). */
  relatedCalls?: string[];
  /** Rarity or spike score where one applies (0..1 for drift, a ratio for rate). */
  score?: number;
  /** Argument paths the intent record must keep only as digests (where a credential was found). */
  redact?: string[];
  /** Rule id (flow) or kinds/paths/digests (dlp); JSON only. */
  data?: Record<string, JsonValue>;
}

/** A detector that runs before the call: pure over its input plus its own bounded state. */
export interface PreDetector<N extends DetectorName = DetectorName> {
  readonly name: N;
  /** The configured action (used when the detector throws), or null when the detector is off. */
  actionOf(settings: DetectSettings): DetectAction | null;
  check(input: DetectInput, settings: DetectSettings): Finding[];
}

/** What the engine shares with the detectors it builds: the canary set, session state, agents' baselines. */
export interface DetectorContext {
  canaries: CanarySet;
  sessions: SessionStates;
  baseline: Baseline;
}

/** A detector's runtime half: builds the detector named `N` over the engine's shared state. */
export type DetectorFactory<N extends DetectorName> = (context: DetectorContext) => PreDetector<N>;
