// Intent drift, declared: the session's stated intent maps (policy `intents:`) to the tools it needs.
import type { DetectSettings } from "../../config.js";
import type { DetectInput, Finding, PreDetector } from "../../types.js";

export function intentDetector(): PreDetector<"intent"> {
  return {
    name: "intent",
    actionOf: (s) => s.intent?.action ?? null,
    check(input: DetectInput, settings: DetectSettings): Finding[] {
      if (settings.intent === null) return [];
      const needs = settings.intentTools(input.session.intent, input.session.agent);
      // An intent no `intents:` entry describes has no expectation to drift from.
      if (needs === null || needs(input.tool)) return [];
      return [
        {
          detector: "intent",
          severity: "medium",
          action: settings.intent.action,
          message: `${input.tool} is outside the tools the declared intent "${input.session.intent.slice(0, 200)}" needs`,
          data: { intent: input.session.intent.slice(0, 1024) },
        },
      ];
    },
  };
}
