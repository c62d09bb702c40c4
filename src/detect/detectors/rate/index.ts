// Call-rate spikes: an agent's calls this minute against its own moving average of calls per minute.

import type { DetectSettings } from "../../config.js";
import type { DetectInput, DetectorContext, Finding, PreDetector } from "../../types.js";

/** Counts every call (so the baseline keeps learning even while the detector is off) and scores it. */
export function rateDetector({ baseline }: Pick<DetectorContext, "baseline">): PreDetector<"rate"> {
  return {
    name: "rate",
    actionOf: (s) => s.rate?.action ?? null,
    check(input: DetectInput, settings: DetectSettings): Finding[] {
      const now = baseline.addCall(input.session.agent, input.now);
      const rate = settings.rate;
      if (rate === null || now.minutes < rate.minMinutes || now.count < rate.minCalls) return [];
      const ratio = now.count / Math.max(now.average, 1);
      // One alert per agent and minute: the spike is one event, not one per call.
      if (ratio <= rate.factor || now.rate.alertedMinute === now.rate.minute) return [];
      now.rate.alertedMinute = now.rate.minute;
      return [
        {
          detector: "rate",
          severity: "medium",
          action: rate.action,
          score: Math.round(ratio * 100) / 100,
          message: `agent ${input.session.agent}: ${now.count} calls this minute, ${Math.round(ratio * 10) / 10}× its average of ${Math.round(now.average * 10) / 10}`,
          data: { calls: now.count, average: Math.round(now.average * 100) / 100 },
        },
      ];
    },
  };
}
