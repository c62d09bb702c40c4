// `warden scan [PATH]`: supply-chain and code checks, printed as text or JSON, optionally written as SARIF.

import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  explainRule,
  formatJson,
  formatSarif,
  formatText,
  isSeverity,
  RULES,
  ScanError,
  type Severity,
  scan,
  severityRank,
  worstSeverity,
} from "../scan/index.js";
import { withSuggestion } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { progressBar } from "./progress.js";

/** Every option, once: the parser and the help text are both built from this table. */
export const SCAN_OPTIONS = {
  json: { type: "boolean", arg: "", help: "print the report as JSON instead of text" },
  sarif: {
    type: "string",
    arg: "FILE",
    help: 'also write a SARIF 2.1.0 log to FILE ("-" prints it instead of the report)',
  },
  "fail-on": {
    type: "string",
    arg: "SEVERITY",
    help: "exit 1 on an unsuppressed finding at or above SEVERITY: info|low|medium|high|critical (default: medium)",
  },
  "changed-since": {
    type: "string",
    arg: "REF",
    help: "scan only files changed since git REF, plus untracked files (manifests and lockfiles when they changed)",
  },
  quiet: {
    type: "boolean",
    arg: "",
    help: "no progress bar (it is drawn on stderr only when that is a terminal)",
    short: "q",
  },
  probe: {
    type: "boolean",
    arg: "",
    help: "start each stdio MCP server found in MCP configs, list its tools and check their descriptions",
  },
  "probe-timeout": { type: "string", arg: "MS", help: "time allowed per probed server (default: 15000)" },
  config: { type: "string", arg: "FILE", help: "suppressions file (default: PATH/.warden-scan.yaml)" },
  exclude: {
    type: "string",
    arg: "GLOB",
    help: "leave out paths matching GLOB (repeatable; adds to the config's exclude:)",
    multiple: true,
  },
  explain: { type: "string", arg: "RULE", help: "print why RULE exists and how to fix it, then exit" },
  "list-rules": {
    type: "boolean",
    arg: "",
    help: "list every rule id with its severity and title, then exit",
  },
  help: { type: "boolean", arg: "", help: "show this help", short: "h" },
} as const;

export const SCAN_HELP = [
  "usage: warden scan [PATH] [options]",
  "",
  "Supply-chain and code checks for agent projects: npm and Python pinning and lockfiles (npm, pnpm,",
  "Yarn, Bun; requirements, uv, Poetry, pipenv), code rules for agent tools (shell, eval, file writes,",
  "network, tools that bypass Warden), hard-coded secrets, MCP client configs and the servers a Warden",
  "policy launches (.warden/policy.yaml, mcp.servers).",
  "PATH defaults to the current directory.",
  "",
  "options:",
  ...Object.entries(SCAN_OPTIONS).map(([name, o]) => {
    const flag = `${"short" in o ? `-${o.short}, ` : ""}--${name}${o.arg ? ` ${o.arg}` : ""}`;
    return `  ${flag.padEnd(26)} ${o.help}`;
  }),
  "",
  "exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage, configuration or parse errors.",
  "Suppressions live in .warden-scan.yaml (rule, path or package, reason, expires); see docs/scan.md.",
].join("\n");

function toolVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

function usage(io: CliIO, message: string): number {
  io.stderr(`warden scan: ${message}\n\n${SCAN_HELP}`);
  return 2;
}

export const scanCommand: Command = async (argv, io) => {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: typeof SCAN_OPTIONS; allowPositionals: true }>
  >;
  try {
    parsed = parseArgs({ args: argv, options: SCAN_OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    return usage(io, withSuggestion(e as Error & { code?: string }, Object.keys(SCAN_OPTIONS)));
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    io.stdout(SCAN_HELP);
    return 0;
  }
  if (v["list-rules"]) {
    io.stdout(RULES.map((r) => `${r.id.padEnd(28)} ${r.severity.padEnd(8)} ${r.title}`).join("\n"));
    return 0;
  }
  if (v.explain !== undefined) {
    const text = explainRule(v.explain);
    if (!text) return usage(io, `unknown rule "${v.explain}" (see --list-rules)`);
    io.stdout(text);
    return 0;
  }
  if (positionals.length > 1) return usage(io, "give at most one PATH");
  const failOn = v["fail-on"] ?? "medium";
  if (!isSeverity(failOn))
    return usage(io, `--fail-on must be one of info|low|medium|high|critical, not "${failOn}"`);
  const timeout = v["probe-timeout"] === undefined ? undefined : Number(v["probe-timeout"]);
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0))
    return usage(io, "--probe-timeout takes milliseconds");
  if (v.json && v.sarif === "-")
    return usage(io, "--json and --sarif - both want stdout; give --sarif a FILE");

  const progress = progressBar(io, "scanning", v.quiet === true);
  try {
    const report = await scan({
      onProgress: progress.update,
      root: resolve(io.cwd, positionals[0] ?? "."),
      ...(v.config !== undefined ? { configPath: resolve(io.cwd, v.config) } : {}),
      ...(v["changed-since"] !== undefined ? { changedSince: v["changed-since"] } : {}),
      ...(v.exclude !== undefined ? { exclude: v.exclude } : {}),
      ...(timeout !== undefined ? { probeTimeoutMs: timeout } : {}),
      probe: v.probe === true,
    }).finally(() => progress.stop());
    const sarif = v.sarif === undefined ? undefined : formatSarif(report, toolVersion());
    if (v.sarif === "-") io.stdout(sarif!);
    else io.stdout(v.json ? formatJson(report) : formatText(report));
    if (sarif !== undefined && v.sarif !== "-") {
      try {
        await writeFile(resolve(io.cwd, v.sarif!), sarif);
      } catch (e) {
        // Exit 1 means "findings" to CI: a log that was not written is an incomplete run.
        io.stderr(`warden scan: cannot write the SARIF log: ${(e as Error).message}`);
        return 2;
      }
    }
    if (report.errors.length > 0) return 2;
    const worst = worstSeverity(report);
    return worst !== undefined && severityRank(worst) >= severityRank(failOn as Severity) ? 1 : 0;
  } catch (e) {
    if (e instanceof ScanError) {
      io.stderr(`warden scan: ${e.code}: ${e.message}`);
      return 2;
    }
    throw e;
  }
};
