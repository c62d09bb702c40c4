// How serious an exported event is, on one scale every format maps to its own (CEF, syslog, OCSF).
import type { ExportEvent } from "./types.js";

export type Severity = "info" | "low" | "medium" | "high" | "critical";

const ALERT_SEVERITIES: ReadonlySet<string> = new Set(["low", "medium", "high", "critical"]);

/**
 * A sandbox violation is critical; an alert has the severity its source gave it (a canary critical, a
 * drift finding low), high when it names none; a refused call is medium; everything else informational.
 */
export function severityOf(e: ExportEvent): Severity {
  if (e.type === "sandbox.violation") return "critical";
  if (e.type === "alert") {
    const s = e.data.severity;
    return typeof s === "string" && ALERT_SEVERITIES.has(s) ? (s as Severity) : "high";
  }
  return enforcedEffect(e) === "deny" ? "medium" : "info";
}

/** The effect a call's record says was enforced (format-1 records name it `effect`), or null. */
export function enforcedEffect(e: ExportEvent): string | null {
  const d = e.data.decision;
  if (d === null || typeof d !== "object" || Array.isArray(d)) return null;
  const effect = d.enforced ?? d.effect;
  return typeof effect === "string" ? effect : null;
}
