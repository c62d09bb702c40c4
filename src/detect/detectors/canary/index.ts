// The canary detector: a canary token (bait, see canaries.ts) in any tool argument is exfiltration.
import type { DetectSettings } from "../../config.js";
import type { DetectInput, DetectorContext, Finding, PreDetector } from "../../types.js";

/** The canary detector over the engine's set (filled at open from the ledger and on each new canary). */
export function canaryDetector({ canaries }: Pick<DetectorContext, "canaries">): PreDetector<"canary"> {
  return {
    name: "canary",
    actionOf: (s: DetectSettings) => s.canary?.action ?? "deny",
    check(input: DetectInput, settings: DetectSettings): Finding[] {
      if (canaries.size === 0) return [];
      const found = canaries.find(input.args);
      if (found.length === 0) return [];
      return [
        {
          detector: "canary",
          severity: "critical",
          // Canaries are on by default: the bait exists only because someone planted it.
          action: settings.canary?.action ?? "deny",
          message: `canary token in the arguments of ${input.tool}: exfiltration`,
          data: {
            canaries: found.map((f) => ({
              id: f.canary.id,
              kind: f.canary.kind,
              label: f.canary.label,
              path: f.path,
              form: f.form,
            })),
          },
        },
      ];
    },
  };
}
