// The data `warden scan` produces: findings, file errors and the report that carries them.

export const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Orders severities so `--fail-on` can compare them. */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export function isSeverity(s: string): s is Severity {
  return (SEVERITIES as readonly string[]).includes(s);
}

/** One problem found, located in a file of the scanned project (paths are relative, with `/`). */
export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  file: string;
  line: number;
  column: number;
  /** The dependency or MCP server the finding is about, when it is about one. */
  package?: string;
  /** Set when a `.warden-scan.yaml` suppression covers the finding. */
  suppressed?: { reason: string; expires: string };
}

/** A file that could not be read or parsed: reported, never skipped in silence. */
export interface FileError {
  file: string;
  line: number;
  column: number;
  kind: "parse" | "read";
  message: string;
}

/** A dependency that runs a script when it is installed. */
export interface InstallScriptEntry {
  name: string;
  version: string;
  lockfile: string;
  /** true approved, false denied (npm `allowScripts`), null not reviewed. */
  allowed: boolean | null;
}

/** An MCP server found in a client config, and what `--probe` learnt about it. */
export interface McpServerEntry {
  file: string;
  name: string;
  transport: "stdio" | "http";
  command?: string;
  args?: string[];
  url?: string;
  tools?: { name: string; description: string }[];
  probeError?: string;
}

export interface ScanReport {
  root: string;
  mode: "full" | "changed";
  changedSince?: string;
  filesScanned: number;
  findings: Finding[];
  errors: FileError[];
  installScripts: InstallScriptEntry[];
  mcpServers: McpServerEntry[];
  durationMs: number;
}

export interface ScanOptions {
  /** Directory to scan. */
  root: string;
  /** Suppressions file; default `<root>/.warden-scan.yaml` when it exists. */
  configPath?: string;
  /** Only files changed since this git ref (plus untracked files). */
  changedSince?: string;
  /** Start stdio MCP servers and check their tool definitions. */
  probe?: boolean;
  probeTimeoutMs?: number;
  /** Extra exclude globs (relative to root). */
  exclude?: string[];
  /** "Today" for suppression expiry, for tests. */
  now?: Date;
  /** Told the files started so far and the files selected (for a progress bar). */
  onProgress?: (done: number, total: number) => void;
}
