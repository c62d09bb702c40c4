// Runs the MCP rules over every client config found, and `--probe` over their stdio servers.

import { join } from "node:path";
import { positionOf } from "../location.js";
import { readText } from "../read-text.js";
import type { FileError, Finding, McpServerEntry, ScanOptions } from "../types.js";
import { checkMcpConfig } from "./config-rules.js";
import { probeServer } from "./probe.js";

export interface McpScanResult {
  findings: Finding[];
  errors: FileError[];
  servers: McpServerEntry[];
}

export async function scanMcp(
  root: string,
  configs: readonly string[],
  options: ScanOptions,
): Promise<McpScanResult> {
  const out: McpScanResult = { findings: [], errors: [], servers: [] };
  for (const rel of configs) {
    let text: string;
    try {
      text = await readText(join(root, rel));
    } catch (e) {
      out.errors.push({ file: rel, line: 1, column: 1, kind: "read", message: (e as Error).message });
      continue;
    }
    const r = await checkMcpConfig(rel, text);
    out.findings.push(...r.findings);
    out.errors.push(...r.errors);
    for (const { config, ...entry } of r.servers) {
      if (options.probe && config.transport === "stdio") {
        const at = config.at ?? positionOf(text, `"${config.name}"`);
        const probe = await probeServer(config, root, rel, at, options.probeTimeoutMs ?? 15_000);
        if (probe.tools) entry.tools = probe.tools;
        if (probe.error) entry.probeError = probe.error;
        out.findings.push(...probe.findings);
      }
      out.servers.push(entry);
    }
  }
  return out;
}
