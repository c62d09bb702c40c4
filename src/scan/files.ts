// Finds the files a scan looks at: a walk of the project minus excluded folders, sorted by what checks them.

import { readdir } from "node:fs/promises";
import { basename, join } from "node:path";
import picomatch from "picomatch";

/** Folders never worth scanning: installed dependencies, build output, VCS data, virtualenvs. */
export const DEFAULT_EXCLUDES = [
  "node_modules",
  ".git",
  "dist",
  "build",
  "coverage",
  ".venv",
  "venv",
  "__pycache__",
  ".tox",
  ".next",
  ".turbo",
];

export type FileKind =
  | "js"
  | "python"
  | "npm-manifest"
  | "python-manifest"
  | "mcp-config"
  | "warden-policy"
  | "secrets-only";

const JS_EXT = /\.(?:[cm]?[jt]s|[jt]sx)$/;
const SECRET_ONLY = /(?:^|\/)\.env(?:\.[\w.-]+)?$|\.(?:json|ya?ml|toml|ini|cfg|conf|properties)$/;
const NPM_FILES = new Set([
  "package.json",
  "package-lock.json",
  "npm-shrinkwrap.json",
  "pnpm-lock.yaml",
  "yarn.lock",
  "bun.lock",
  "bun.lockb",
  ".npmrc",
]);
const PY_FILES = new Set(["pyproject.toml", "uv.lock", "poetry.lock", "Pipfile", "Pipfile.lock"]);

/** True for the MCP client configs `warden scan` reads. */
export function isMcpConfig(rel: string): boolean {
  return (
    basename(rel) === "claude_desktop_config.json" ||
    rel === ".mcp.json" ||
    rel.endsWith("/.mcp.json") ||
    /(?:^|\/)\.(?:cursor|vscode)\/mcp\.json$/.test(rel)
  );
}

/** The policy `warden init` writes (.warden/policy.yaml): its `mcp.servers` are servers the gateway launches. */
export function isWardenPolicy(rel: string): boolean {
  return /(?:^|\/)\.warden\/policy\.(?:ya?ml|json)$/.test(rel);
}

export function isRequirementsFile(rel: string): boolean {
  const name = basename(rel);
  return /^requirements.*\.txt$/.test(name) || /(?:^|\/)requirements\/[^/]+\.txt$/.test(rel);
}

/** What checks a file, or undefined when none does. */
export function classify(rel: string): FileKind | undefined {
  const name = basename(rel);
  if (isMcpConfig(rel)) return "mcp-config";
  if (isWardenPolicy(rel)) return "warden-policy";
  if (NPM_FILES.has(name)) return "npm-manifest";
  if (PY_FILES.has(name) || isRequirementsFile(rel)) return "python-manifest";
  if (JS_EXT.test(name)) return "js";
  if (name.endsWith(".py")) return "python";
  if (SECRET_ONLY.test(rel)) return "secrets-only";
  return undefined;
}

/** A predicate for paths (relative, `/`-separated) that the scan must leave out. */
export function excludeMatcher(globs: readonly string[]): (rel: string) => boolean {
  const names = new Set(DEFAULT_EXCLUDES);
  const glob = globs.length > 0 ? picomatch([...globs], { dot: true }) : () => false;
  return (rel) => names.has(basename(rel)) || glob(rel);
}

/** Every file under root that some check reads, as sorted relative paths. Symlinks are not followed. */
export async function walk(root: string, excluded: (rel: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(join(root, dir), { withFileTypes: true });
    const subdirs: Promise<void>[] = [];
    for (const e of entries) {
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (excluded(rel)) continue;
      if (e.isDirectory()) subdirs.push(visit(rel));
      else if (e.isFile() && classify(rel) !== undefined) out.push(rel);
    }
    await Promise.all(subdirs);
  };
  await visit("");
  return out.sort();
}
