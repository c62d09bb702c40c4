// Builds findings with the catalogue's severity, so no rule states its own.

import { ruleInfo } from "./explain.js";
import type { Position } from "./location.js";
import type { Finding } from "./types.js";

export function finding(ruleId: string, file: string, at: Position, message: string, pkg?: string): Finding {
  const info = ruleInfo(ruleId);
  if (!info) throw new Error(`unknown rule id ${ruleId}`);
  const f: Finding = { ruleId, severity: info.severity, message, file, line: at.line, column: at.column };
  if (pkg !== undefined) f.package = pkg;
  return f;
}
