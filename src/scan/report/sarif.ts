// SARIF 2.1.0 log for code-scanning UIs: the rule catalogue as the driver's rules, findings as results.

import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import type { Log, ReportingDescriptor, Result } from "sarif";
import { RULES } from "../explain.js";
import type { Finding, ScanReport, Severity } from "../types.js";

const LEVEL: Record<Severity, Result.level> = {
  critical: "error",
  high: "error",
  medium: "warning",
  low: "note",
  info: "note",
};
/** GitHub code scanning reads `security-severity` (0–10) to rank alerts. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "3.0",
  info: "1.0",
};

const ruleIndex = new Map(RULES.map((r, i) => [r.id, i]));

/**
 * A project path as a relative URI reference: each segment percent-encoded whole, so `#`, `?` and `%`
 * stay part of the name and a first segment with a colon (`c:x.json`) cannot read as a URI scheme.
 */
export function relativeUri(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

function descriptor(r: (typeof RULES)[number]): ReportingDescriptor {
  return {
    id: r.id,
    name: r.id.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase()),
    shortDescription: { text: r.title },
    fullDescription: { text: r.why },
    help: { text: `${r.why}\n\nFix: ${r.fix}`, markdown: `**Why:** ${r.why}\n\n**Fix:** ${r.fix}` },
    defaultConfiguration: { level: LEVEL[r.severity] },
    properties: { tags: ["security", "warden"], "security-severity": SECURITY_SEVERITY[r.severity] },
  };
}

function result(f: Finding): Result {
  const r: Result = {
    ruleId: f.ruleId,
    level: LEVEL[f.severity],
    message: { text: f.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: relativeUri(f.file), uriBaseId: "%SRCROOT%" },
          region: { startLine: f.line, startColumn: f.column },
        },
      },
    ],
    partialFingerprints: {
      "wardenFinding/v1": createHash("sha256").update(`${f.ruleId}\0${f.file}\0${f.message}`).digest("hex"),
    },
    properties: { severity: f.severity, ...(f.package ? { package: f.package } : {}) },
  };
  const index = ruleIndex.get(f.ruleId);
  if (index !== undefined) r.ruleIndex = index;
  if (f.suppressed) {
    r.suppressions = [
      {
        kind: "external",
        justification: `${f.suppressed.reason} (expires ${f.suppressed.expires})`,
      },
    ];
  }
  return r;
}

export function formatSarif(report: ScanReport, toolVersion: string): string {
  const log: Log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "warden-scan",
            version: toolVersion,
            rules: RULES.map(descriptor),
          },
        },
        originalUriBaseIds: { "%SRCROOT%": { uri: pathToFileURL(`${report.root}/`).href } },
        invocations: [
          {
            executionSuccessful: report.errors.length === 0,
            toolExecutionNotifications: report.errors.map((e) => ({
              level: "error" as const,
              message: { text: `${e.kind} error: ${e.message}` },
              locations: [
                {
                  physicalLocation: {
                    artifactLocation: { uri: relativeUri(e.file), uriBaseId: "%SRCROOT%" },
                    region: { startLine: e.line, startColumn: e.column },
                  },
                },
              ],
            })),
          },
        ],
        results: report.findings.map(result),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
