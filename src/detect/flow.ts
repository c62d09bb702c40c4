// Data-flow rules across one session's calls: "after reading X, sending outside needs approval", and
// "a value taken from a tool result may not flow into this tool's arguments without approval".
import type { DetectSettings, FlowRuleSpec } from "../policy/index.js";
import { type SessionStates, valueHash, valuesIn } from "./session-state.js";
import type { DetectInput, Finding, PreDetector } from "./types.js";
import { walkStrings } from "./walk.js";

export function flowDetector(sessions: SessionStates): PreDetector {
  return {
    name: "flow",
    actionOf: (s) => strongest(s.flow),
    check(input: DetectInput, settings: DetectSettings): Finding[] {
      if (settings.flow.length === 0) return [];
      const state = sessions.get(input.session.id);
      if (state === undefined) return [];
      const labels = settings.labelsOf(input.tool);
      const findings: Finding[] = [];
      for (const rule of settings.flow) {
        if (rule.toSends !== null && !labels.sends.includes(rule.toSends)) continue;
        if (rule.toTools !== null && !rule.toTools(input.tool)) continue;
        if (rule.afterReads !== null) {
          const reader = state.reads.get(rule.afterReads);
          if (reader === undefined) continue;
          findings.push({
            detector: "flow",
            severity: "high",
            action: rule.action,
            message: `${rule.reason}: ${input.tool} after this session read ${rule.afterReads}`,
            relatedCalls: [reader],
            data: { rule: rule.id, label: rule.afterReads },
          });
        } else if (state.values.size > 0) {
          const hit = fromResults(input, rule, state.values);
          if (hit !== null) findings.push(hit);
        }
      }
      return findings;
    },
  };
}

function fromResults(
  input: DetectInput,
  rule: FlowRuleSpec,
  values: ReadonlyMap<number, { tool: string; callId: string; email: boolean }>,
): Finding | null {
  const paths: string[] = [];
  const sources = new Set<string>();
  walkStrings(input.args, (text, path) => {
    valuesIn(text, (value, email) => {
      if (rule.fromResults === "email" && !email) return;
      const source = values.get(valueHash(value));
      if (source === undefined) return;
      if (rule.fromResults === "email" && !source.email) return;
      if (rule.fromTools !== null && !rule.fromTools(source.tool)) return;
      if (paths.length < 20 && !paths.includes(path)) paths.push(path);
      sources.add(source.callId);
    });
  });
  if (sources.size === 0) return null;
  return {
    detector: "flow",
    severity: "high",
    action: rule.action,
    message: `${rule.reason}: ${input.tool} arguments carry ${rule.fromResults === "email" ? "email addresses" : "values"} from earlier tool results`,
    relatedCalls: [...sources].slice(0, 20),
    data: { rule: rule.id, paths },
  };
}

const ORDER = { log: 0, alert: 1, ask: 2, deny: 3 } as const;

/** The strongest action any flow rule has (used when the detector itself fails). */
function strongest(rules: readonly FlowRuleSpec[]) {
  if (rules.length === 0) return null;
  return rules.reduce((a, r) => (ORDER[r.action] > ORDER[a.action] ? r : a)).action;
}
