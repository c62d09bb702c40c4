// Public entry of the scanner: `scan(options)` walks a project, runs every rule family and returns a ScanReport.

import { lstat, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from "node:path";
import { changedFiles } from "./changed.js";
import { loadConfig } from "./config.js";
import { ScanError } from "./errors.js";
import { classify, excludeMatcher, walk } from "./files.js";
import { finding } from "./finding.js";
import { scanMcp } from "./mcp/scan-mcp.js";
import { type NpmScanContext, scanNpmProject } from "./npm-project.js";
import { scanPythonProject } from "./python-project.js";
import { readInRoot, readTextSync } from "./read-text.js";
import { scanJsFile } from "./rules/code-rules.js";
import { scanPythonFile } from "./rules/python-code.js";
import { checkRequirements, requirementIncludes } from "./rules/python-pinning.js";
import { scanSecrets } from "./rules/secrets.js";
import { applySuppressions } from "./suppressions.js";
import type { FileError, Finding, ScanOptions, ScanReport } from "./types.js";

export { checkToolDescription, isPoisoned, type PoisoningSignal } from "../tool-poisoning.js";
export { ScanError } from "./errors.js";
export { explainRule, RULES, type RuleInfo, ruleInfo } from "./explain.js";
export { stripJsonc } from "./jsonc.js";
export { checkMcpConfig } from "./mcp/config-rules.js";
export { formatJson } from "./report/json.js";
export { formatSarif } from "./report/sarif.js";
export { formatText, worstSeverity } from "./report/text.js";
export * from "./types.js";

const dirOf = (rel: string): string => (dirname(rel) === "." ? "" : dirname(rel));

/** A path is excluded when it or any folder above it is. */
const excludedPath = (rel: string, excluded: (p: string) => boolean): boolean => {
  const parts = rel.split("/");
  return parts.some((_, i) => excluded(parts.slice(0, i + 1).join("/")));
};

async function selectFiles(
  root: string,
  options: ScanOptions,
  excluded: (p: string) => boolean,
): Promise<string[]> {
  if (!options.changedSince) return walk(root, excluded);
  const changed = await changedFiles(root, options.changedSince);
  const present = await Promise.all(
    // lstat: a changed symbolic link is not followed, as the full walk does not follow one.
    changed.map(async (f) => ((await lstat(join(root, f)).catch(() => null))?.isFile() ? f : undefined)),
  );
  return present.filter(
    (f): f is string => f !== undefined && classify(f) !== undefined && !excludedPath(f, excluded),
  );
}

/** Runs `fn` over items with at most `limit` in flight. */
async function eachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * The files the requirements files include with `-r`, checked as requirements whatever their name
 * (`-r deps/base.in`), followed to any depth, each once. A file outside the scanned folder or missing is
 * a read error: pip installs what it lists, so the scan would be incomplete without it.
 */
async function checkIncludedRequirements(
  root: string,
  scanned: ReadonlyMap<string, string>,
  excluded: (p: string) => boolean,
): Promise<{ findings: Finding[]; errors: FileError[] }> {
  const out = { findings: [] as Finding[], errors: [] as FileError[] };
  const done = new Set(scanned.keys());
  const queue = [...scanned].flatMap(([from, text]) =>
    requirementIncludes(text).map((i) => ({ from, ...i })),
  );
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const { from, target, line } = next;
    const at = { line, column: 1 };
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
      const msg = `-r ${target} reads requirements from a URL, whose content can change at any time`;
      out.findings.push(finding("py-unpinned-requirement", from, at, msg));
      continue;
    }
    const rel = posix.normalize(posix.join(posix.dirname(from), target));
    if (posix.isAbsolute(target) || rel === ".." || rel.startsWith("../")) {
      const message = `-r ${target} is outside the scanned folder: the requirements it lists were not checked`;
      out.errors.push({ file: from, ...at, kind: "read", message });
      continue;
    }
    if (done.has(rel) || excludedPath(rel, excluded)) continue;
    done.add(rel);
    const read = await readInRoot(root, rel);
    if ("text" in read) {
      out.findings.push(...checkRequirements(rel, read.text));
      queue.push(...requirementIncludes(read.text).map((i) => ({ from: rel, ...i })));
    } else if ("missing" in read) {
      out.errors.push({ file: from, ...at, kind: "read", message: `-r ${target}: no such file` });
    } else out.errors.push({ file: rel, line: 1, column: 1, kind: "read", message: read.refused });
  }
  return out;
}

const once = <T>(fn: () => T): (() => T) => {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: fn() };
    return made.value;
  };
};

/** The `name` of every package.json in the scanned tree: the repository's own packages. */
async function packageNames(root: string, excluded: (p: string) => boolean): Promise<Set<string>> {
  const names = new Set<string>();
  for (const rel of await walk(root, excluded)) {
    if (posix.basename(rel) !== "package.json") continue;
    const read = await readInRoot(root, rel);
    try {
      const name = "text" in read ? (JSON.parse(read.text) as { name?: unknown }).name : undefined;
      if (typeof name === "string") names.add(name);
    } catch {
      // A package.json that does not parse is reported by its own project's check.
    }
  }
  return names;
}

/**
 * Scans a project for supply-chain and code risks.
 *
 * @example
 * const report = await scan({ root: "." });
 * const blocking = report.findings.filter((f) => !f.suppressed && f.severity === "critical");
 */
export async function scan(options: ScanOptions): Promise<ScanReport> {
  const started = performance.now();
  const root = resolve(options.root);
  if (!(await stat(root).catch(() => null))?.isDirectory()) {
    throw new ScanError("SCAN_USAGE", `not a directory: ${options.root}`);
  }
  const configPath = options.configPath ? resolve(root, options.configPath) : join(root, ".warden-scan.yaml");
  const inRoot = relative(root, configPath);
  const configRel =
    inRoot && !inRoot.startsWith("..") && !isAbsolute(inRoot) ? inRoot.split(sep).join("/") : configPath;
  const config = await loadConfig(configPath, configRel, options.configPath !== undefined);
  const excluded = excludeMatcher([...config.exclude, ...(options.exclude ?? [])]);
  const files = await selectFiles(root, options, excluded);

  const findings: Finding[] = [];
  const errors: FileError[] = [];
  const report: ScanReport = {
    root,
    mode: options.changedSince ? "changed" : "full",
    filesScanned: files.length,
    findings,
    errors,
    installScripts: [],
    mcpServers: [],
    durationMs: 0,
  };
  if (options.changedSince) report.changedSince = options.changedSince;
  const add = (r: { findings: Finding[]; errors: FileError[] }): void => {
    findings.push(...r.findings);
    errors.push(...r.errors);
  };

  const npmDirs = new Set<string>();
  const pyDirs = new Set<string>();
  const mcpConfigs: string[] = [];
  const requirementFiles = new Map<string, string>();
  let seen = 0;
  await eachLimit(files, 16, async (rel) => {
    options.onProgress?.(++seen, files.length);
    const kind = classify(rel);
    if (kind === "npm-manifest") return void npmDirs.add(dirOf(rel));
    if (kind === "mcp-config") return void mcpConfigs.push(rel);
    // A Warden policy is checked as an MCP config (its mcp.servers) and for secrets like any config file.
    if (kind === "warden-policy") mcpConfigs.push(rel);
    let text: string;
    try {
      // Sync reads: files are small and the scan is CPU-bound; the thread-pool round trip cost more than the read.
      text = readTextSync(join(root, rel));
    } catch (e) {
      return void errors.push({ file: rel, line: 1, column: 1, kind: "read", message: (e as Error).message });
    }
    if (kind === "python-manifest") {
      if (rel.endsWith(".txt")) {
        findings.push(...checkRequirements(rel, text));
        requirementFiles.set(rel, text);
      } else pyDirs.add(dirOf(rel));
      return;
    }
    if (kind === "js") add(scanJsFile(rel, text));
    else if (kind === "python") add(await scanPythonFile(rel, text));
    findings.push(...(await scanSecrets(rel, text)));
  });

  add(await checkIncludedRequirements(root, requirementFiles, excluded));
  const npm: NpmScanContext = {
    root,
    registryOverride: config.registry,
    scannedDirs: npmDirs,
    excluded: (rel) => excludedPath(rel, excluded),
    locks: new Map(),
    localNames: once(() => packageNames(root, excluded)),
  };
  for (const dir of [...npmDirs].sort()) {
    const r = await scanNpmProject(npm, dir);
    add(r);
    report.installScripts.push(...r.installScripts);
  }
  for (const dir of [...pyDirs].sort()) add(await scanPythonProject(root, dir));
  const mcp = await scanMcp(root, mcpConfigs.sort(), options);
  add(mcp);
  report.mcpServers = mcp.servers;

  report.findings = applySuppressions(findings, config, options.now ?? new Date()).sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      a.ruleId.localeCompare(b.ruleId),
  );
  // A file several projects read (the root .npmrc) is reported once.
  const seenErrors = new Set<string>();
  report.errors = errors
    .filter((e) => {
      const key = `${e.file}\0${e.line}\0${e.column}\0${e.message}`;
      return !seenErrors.has(key) && seenErrors.add(key);
    })
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  report.durationMs = Math.round(performance.now() - started);
  return report;
}
