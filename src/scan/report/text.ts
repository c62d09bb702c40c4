// Human-readable report: findings grouped by file, then errors, install scripts, MCP servers and a summary.

import { safeText } from "../../safe-text.js";
import { type Finding, type ScanReport, SEVERITIES, severityRank } from "../types.js";

function summary(report: ScanReport, active: Finding[]): string {
  const counts = [...SEVERITIES]
    .reverse()
    .map((s) => [s, active.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  const suppressed = report.findings.length - active.length;
  const total = `${active.length} finding${active.length === 1 ? "" : "s"}${counts.length ? ` (${counts.join(", ")})` : ""}`;
  return `${total}, ${suppressed} suppressed, ${report.errors.length} file error${report.errors.length === 1 ? "" : "s"}`;
}

export function formatText(report: ScanReport): string {
  const lines: string[] = [];
  const scope = report.mode === "changed" ? `changed since ${report.changedSince}` : "full";
  lines.push(
    `warden scan ${report.root} (${scope}: ${report.filesScanned} files in ${report.durationMs} ms)`,
  );
  const active = report.findings.filter((f) => !f.suppressed);
  let file = "";
  for (const f of active) {
    if (f.file !== file) {
      file = f.file;
      lines.push("", file);
    }
    lines.push(
      `  ${`${f.line}:${f.column}`.padEnd(8)} ${f.severity.padEnd(8)} ${f.ruleId.padEnd(27)} ${f.message}`,
    );
  }
  if (report.errors.length > 0) {
    lines.push("", "files that could not be scanned:");
    for (const e of report.errors)
      lines.push(`  ${e.file}:${e.line}:${e.column}: ${e.kind} error: ${e.message}`);
  }
  if (report.installScripts.length > 0) {
    const state = (a: boolean | null) => (a === true ? "approved" : a === false ? "denied" : "NOT REVIEWED");
    lines.push("", "dependencies with install scripts:");
    for (const s of report.installScripts)
      lines.push(`  ${s.name}@${s.version} (${state(s.allowed)}) in ${s.lockfile}`);
  }
  if (report.mcpServers.length > 0) {
    lines.push("", "MCP servers:");
    for (const s of report.mcpServers) {
      const how = s.command ? [s.command, ...(s.args ?? [])].join(" ") : (s.url ?? "");
      lines.push(`  ${s.file}: ${s.name} (${s.transport}: ${how})`);
      if (s.probeError) lines.push(`    probe failed: ${s.probeError}`);
      for (const t of s.tools ?? [])
        lines.push(`    tool ${t.name}: ${t.description.split("\n")[0]?.slice(0, 100)}`);
    }
  }
  lines.push("", summary(report, active));
  if (active.length > 0)
    lines.push("Run `warden scan --explain RULE` for why a rule exists and how to fix it.");
  // File names, messages quoting code, package names and MCP tool descriptions come from the project
  // scanned, which may be hostile: each line is printed with its controls escaped.
  return `${lines.map(safeText).join("\n")}\n`;
}

/** Highest severity among unsuppressed findings, or undefined when there are none. */
export function worstSeverity(report: ScanReport): Finding["severity"] | undefined {
  let worst: Finding["severity"] | undefined;
  for (const f of report.findings) {
    if (!f.suppressed && (worst === undefined || severityRank(f.severity) > severityRank(worst)))
      worst = f.severity;
  }
  return worst;
}
