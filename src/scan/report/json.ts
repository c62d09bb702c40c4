// Machine-readable report: the ScanReport itself, versioned, with a summary block.

import { type ScanReport, SEVERITIES } from "../types.js";

export function formatJson(report: ScanReport): string {
  const active = report.findings.filter((f) => !f.suppressed);
  const bySeverity = Object.fromEntries(
    SEVERITIES.map((s) => [s, active.filter((f) => f.severity === s).length]),
  );
  const summary = {
    findings: active.length,
    suppressed: report.findings.length - active.length,
    errors: report.errors.length,
    bySeverity,
  };
  return `${JSON.stringify({ version: 1, tool: "warden-scan", summary, ...report }, null, 2)}\n`;
}
