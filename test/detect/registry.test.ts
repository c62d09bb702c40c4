// Every detector is registered whole: a config half and a runtime half under one name; `detect:`, the
// `suppress:` names, the compiled settings and the documentation all follow the registry.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Baseline } from "../../src/detect/baseline.js";
import { compileDetect, DETECTOR_CONFIGS, DETECTOR_NAMES, detectSchema } from "../../src/detect/config.js";
import { CanarySet } from "../../src/detect/detectors/canary/canaries.js";
import { DETECTORS } from "../../src/detect/detectors/index.js";
import { SessionStates } from "../../src/detect/session-state.js";
import { parsePolicy } from "../../src/policy/index.js";

const names = DETECTOR_CONFIGS.map((c) => c.name);
const detectDoc = readFileSync("docs/detect.md", "utf8");

/** The text of docs/detect.md from `heading` to the next heading of its level. */
function section(heading: string): string {
  const from = detectDoc.indexOf(`\n${heading}\n`);
  const end = detectDoc.indexOf("\n## ", from + heading.length + 2);
  return detectDoc.slice(from, end === -1 ? undefined : end);
}

describe("the detector registry", () => {
  it("names every detector once, with a config half and a runtime half of that name", () => {
    expect(new Set(names).size).toBe(names.length);
    expect(DETECTOR_NAMES).toEqual(names);
    expect(Object.keys(DETECTORS).sort()).toEqual([...names].sort());
    const context = { canaries: new CanarySet(), sessions: new SessionStates(), baseline: new Baseline() };
    for (const [name, create] of Object.entries(DETECTORS)) expect(create(context).name).toBe(name);
  });

  it("builds `detect:` and the detectors `suppress:` accepts from the registry, in its order", () => {
    expect(Object.keys(detectSchema.shape)).toEqual([...names, "suppress"]);
    expect(detectSchema.shape.suppress.unwrap().element.shape.detector.options).toEqual(names);
  });

  it("compiles each detector's entry with its own config; the documented example turns every one on", () => {
    const off = compileDetect();
    const policy = section("## The policy");
    const yaml = policy.slice(policy.indexOf("```yaml\n") + 8, policy.lastIndexOf("```"));
    const on = parsePolicy(`default: allow\n${yaml}`, "docs/detect.md").detect;
    for (const c of DETECTOR_CONFIGS) {
      expect(off[c.name]).toEqual(c.compile(undefined));
      expect(on[c.name]).not.toEqual(off[c.name]);
    }
  });

  it("documents every detector in the table of docs/detect.md, in the registry's order", () => {
    const rows = section("## The detectors (`src/detect/`)").matchAll(/^\| `([a-z-]+)` /gm);
    expect([...rows].map((m) => m[1])).toEqual(names);
  });
});
