// Data-flow rules across one session's calls: "after reading X, sending outside needs approval", and
// "a value taken from a tool result may not flow into this tool's arguments without approval".
import type { DetectSettings, ToolLabels } from "../../config.js";
import { type TrackedValues, treeOf, type ValueHit } from "../../session-state.js";
import type { DetectInput, DetectorContext, Finding, PreDetector } from "../../types.js";
import { walkStrings } from "../../walk.js";
import type { FlowRuleSpec } from "./config.js";

/** Paths and source calls a finding names at most. */
const MAX_LISTED = 20;

export function flowDetector({ sessions }: Pick<DetectorContext, "sessions">): PreDetector<"flow"> {
  return {
    name: "flow",
    actionOf: (s) => strongest(s.flow),
    check(input: DetectInput, settings: DetectSettings): Finding[] {
      if (settings.flow.length === 0) return [];
      // A sub-agent's first call already sees what its parent session read.
      const state = sessions.touch(input.session.id, treeOf(input.session));
      const labels = settings.labelsOf(input.tool);
      const findings: Finding[] = [];
      let hits: ArgumentHit[] | undefined;
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
            message: `${rule.reason}: ${input.tool} after this session tree read ${rule.afterReads}`,
            relatedCalls: [reader],
            data: { rule: rule.id, label: rule.afterReads },
          });
        } else if (state.values.size > 0) {
          // One search of the arguments serves every provenance rule.
          hits ??= argumentHits(input, state.values);
          const hit = fromResults(input, rule, hits, settings.labelsOf);
          if (hit !== null) findings.push(hit);
        }
      }
      return findings;
    },
  };
}

interface ArgumentHit extends ValueHit {
  path: string;
}

function argumentHits(input: DetectInput, values: TrackedValues): ArgumentHit[] {
  const hits: ArgumentHit[] = [];
  walkStrings(input.args, (text, path) => values.find(text, (hit) => hits.push({ ...hit, path })));
  return hits;
}

function fromResults(
  input: DetectInput,
  rule: FlowRuleSpec,
  hits: readonly ArgumentHit[],
  labelsOf: (tool: string) => ToolLabels,
): Finding | null {
  const paths: string[] = [];
  const forms = new Set<string>();
  const sources = new Set<string>();
  for (const { source, form, path } of hits) {
    if (rule.fromResults === "email" && !source.email) continue;
    if (rule.fromTools !== null && !rule.fromTools(source.tool)) continue;
    if (rule.fromPaths !== null && !rule.fromPaths(source.path)) continue;
    if (rule.fromLabels !== null && !labelsOf(source.tool).reads.some((l) => rule.fromLabels?.includes(l))) {
      continue;
    }
    if (rule.toPaths !== null && !rule.toPaths(path)) continue;
    if (paths.length < MAX_LISTED && !paths.includes(path)) paths.push(path);
    forms.add(form);
    sources.add(source.callId);
  }
  if (sources.size === 0) return null;
  const what = rule.fromResults === "email" ? "email addresses" : "values";
  const encoded = [...forms].filter((f) => f !== "plain");
  return {
    detector: "flow",
    severity: "high",
    action: rule.action,
    message: `${rule.reason}: ${input.tool} arguments carry ${what} from earlier tool results${encoded.length > 0 ? ` (${encoded.join(", ")} encoded)` : ""}`,
    relatedCalls: [...sources].slice(0, MAX_LISTED),
    // Paths and encodings only: the values themselves never leave the detector.
    data: { rule: rule.id, paths, forms: [...forms].sort() },
  };
}

const ORDER = { log: 0, alert: 1, ask: 2, deny: 3 } as const;

/** The strongest action any flow rule has (used when the detector itself fails). */
function strongest(rules: readonly FlowRuleSpec[]) {
  if (rules.length === 0) return null;
  return rules.reduce((a, r) => (ORDER[r.action] > ORDER[a.action] ? r : a)).action;
}
