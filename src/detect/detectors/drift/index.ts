// Behavioural drift: a tool-to-tool transition the agent's learned baseline has rarely or never seen.

import { START } from "../../baseline.js";
import type { DetectSettings } from "../../config.js";
import type { DetectInput, DetectorContext, Finding, PreDetector } from "../../types.js";

export function driftDetector({
  sessions,
  baseline,
}: Pick<DetectorContext, "sessions" | "baseline">): PreDetector<"drift"> {
  return {
    name: "drift",
    actionOf: (s) => s.drift?.action ?? null,
    check(input: DetectInput, settings: DetectSettings): Finding[] {
      const drift = settings.drift;
      if (drift === null) return [];
      const prev = sessions.get(input.session.id)?.lastTool ?? START;
      const { count, total } = baseline.transition(input.session.agent, prev, input.tool);
      // Too little history says nothing about what is rare.
      if (total < drift.minObservations) return [];
      const score = count / total;
      if (score >= drift.threshold) return [];
      return [
        {
          detector: "drift",
          severity: count === 0 ? "medium" : "low",
          action: drift.action,
          score: Math.round(score * 10_000) / 10_000,
          message: `${prev === START ? "session start" : prev} → ${input.tool} is ${count === 0 ? "new" : "rare"} for agent ${input.session.agent} (${count} of ${total} calls after ${prev === START ? "a session start" : prev})`,
          data: { from: prev, to: input.tool, seen: count, observations: total },
        },
      ];
    },
  };
}
