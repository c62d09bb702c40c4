// Applies `.warden-scan.yaml` suppressions to findings; an expired suppression suppresses nothing and is a finding.

import picomatch from "picomatch";
import type { ScanConfig, Suppression } from "./config.js";
import type { Finding } from "./types.js";

const today = (now: Date): string => now.toISOString().slice(0, 10);

function matcher(s: Suppression): (f: Finding) => boolean {
  const pathOk = s.path === undefined ? () => true : picomatch(s.path, { dot: true });
  return (f) => f.ruleId === s.rule && pathOk(f.file) && (s.package === undefined || f.package === s.package);
}

/** Marks suppressed findings and adds one `suppression-expired` finding per expired entry. */
export function applySuppressions(findings: Finding[], config: ScanConfig, now: Date): Finding[] {
  const day = today(now);
  const active: { s: Suppression; test: (f: Finding) => boolean }[] = [];
  const out: Finding[] = [];
  for (const s of config.suppressions) {
    if (s.expires < day) {
      out.push({
        ruleId: "suppression-expired",
        severity: "medium",
        message: `suppression of ${s.rule} for ${s.path ?? s.package} expired on ${s.expires} (reason was: ${s.reason})`,
        file: config.file ?? ".warden-scan.yaml",
        line: s.line,
        column: 1,
      });
    } else active.push({ s, test: matcher(s) });
  }
  for (const f of findings) {
    const hit = active.find((a) => a.test(f));
    out.push(hit ? { ...f, suppressed: { reason: hit.s.reason, expires: hit.s.expires } } : f);
  }
  return out;
}
