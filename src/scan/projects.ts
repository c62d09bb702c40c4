// Runs the dependency rules per project folder: npm (package.json + lockfile) and Python (pyproject + locks).

import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { finding } from "./finding.js";
import { parseJsonLocated } from "./jsonc.js";
import { readInRoot } from "./read-text.js";
import { checkLockfile } from "./rules/npm-lockfile.js";
import { checkPinning, DEP_SECTIONS, depsOf, type Manifest } from "./rules/npm-pinning.js";
import { checkPythonLock, readToml } from "./rules/python-lock.js";
import type { FileError, Finding, InstallScriptEntry } from "./types.js";

export interface ProjectResult {
  findings: Finding[];
  errors: FileError[];
  installScripts: InstallScriptEntry[];
}

const DEFAULT_REGISTRY = "https://registry.npmjs.org/";

/**
 * The text of a project file, or undefined when it is absent. A file that is there but may not or cannot
 * be read (a link out of the scanned folder, a FIFO, a read error) is recorded in `errors` and is
 * undefined too: never read from outside, never skipped in silence.
 */
async function readProjectFile(root: string, rel: string, errors: FileError[]): Promise<string | undefined> {
  const r = await readInRoot(root, rel);
  if ("refused" in r && !errors.some((e) => e.file === rel))
    errors.push({ file: rel, line: 1, column: 1, kind: "read", message: r.refused });
  return "text" in r ? r.text : undefined;
}

/** Whether a file is there at all, readable or not. */
const present = async (root: string, rel: string): Promise<boolean> =>
  (await lstat(join(root, rel)).catch(() => undefined)) !== undefined;

const relJoin = (dir: string, name: string): string => (dir ? `${dir}/${name}` : name);

/** `registry=` and `@scope:registry=` from the folder's .npmrc, then the root's. */
async function npmrc(
  root: string,
  dir: string,
  errors: FileError[],
): Promise<{ registry?: string; scopes: Map<string, string> }> {
  const scopes = new Map<string, string>();
  let registry: string | undefined;
  for (const d of dir ? [dir, ""] : [""]) {
    const text = await readProjectFile(root, relJoin(d, ".npmrc"), errors);
    for (const line of text?.split(/\r?\n/) ?? []) {
      const m = /^\s*(@[^:\s]+:)?registry\s*=\s*(\S+)\s*$/.exec(line);
      if (!m) continue;
      if (m[1]) scopes.set(m[1].slice(0, -1), scopes.get(m[1].slice(0, -1)) ?? m[2]!);
      else registry ??= m[2];
    }
  }
  return { registry, scopes };
}

/** All npm findings for the project in `dir` (relative to root, "" for root). */
export async function scanNpmProject(
  root: string,
  dir: string,
  registryOverride?: string,
): Promise<ProjectResult> {
  const out: ProjectResult = { findings: [], errors: [], installScripts: [] };
  const pkgRel = relJoin(dir, "package.json");
  const text = await readProjectFile(root, pkgRel, out.errors);
  if (text === undefined) return out;
  const parsed = parseJsonLocated(pkgRel, text);
  if (!parsed.ok) return { ...out, errors: [parsed.error] };
  const manifest = (parsed.value ?? {}) as Manifest;
  out.findings.push(...checkPinning(pkgRel, text, manifest));
  // npm (and arborist) take npm-shrinkwrap.json over package-lock.json whenever it is there.
  const lockName = (await present(root, relJoin(dir, "npm-shrinkwrap.json")))
    ? "npm-shrinkwrap.json"
    : "package-lock.json";
  const lockRel = relJoin(dir, lockName);
  const lockText = await readProjectFile(root, lockRel, out.errors);
  if (out.errors.length > 0) return out;
  if (lockText === undefined) {
    const hasDeps = DEP_SECTIONS.some((s) => Object.keys(depsOf(manifest, s)).length > 0);
    if (hasDeps && !(await lockAbove(root, dir))) {
      const other = await otherLockfile(root, dir);
      const note = other ? ` (${other} is there, but only npm lockfiles are checked)` : "";
      out.findings.push(
        finding("npm-lockfile-missing", pkgRel, { line: 1, column: 1 }, `no package-lock.json${note}`),
      );
    }
    return out;
  }
  const lockParsed = parseJsonLocated(lockRel, lockText);
  if (!lockParsed.ok) return { ...out, errors: [lockParsed.error] };
  const rc = await npmrc(root, dir, out.errors);
  try {
    const r = await checkLockfile({
      dir: join(root, dir),
      lockRel,
      lockText,
      manifest,
      registry: registryOverride ?? rc.registry ?? DEFAULT_REGISTRY,
      scopes: rc.scopes,
    });
    out.findings.push(...r.findings);
    out.installScripts.push(...r.installScripts);
  } catch (e) {
    out.errors.push({
      file: lockRel,
      line: 1,
      column: 1,
      kind: "parse",
      message: `arborist: ${(e as Error).message}`,
    });
  }
  return out;
}

const OTHER_LOCKFILES = ["pnpm-lock.yaml", "yarn.lock", "bun.lock", "bun.lockb"];

/** Another package manager's lockfile in the folder or above it (a workspace root), as a relative path. */
async function otherLockfile(root: string, dir: string): Promise<string | undefined> {
  const parts = dir ? dir.split("/") : [];
  for (let i = parts.length; i >= 0; i--) {
    for (const name of OTHER_LOCKFILES) {
      const rel = relJoin(parts.slice(0, i).join("/"), name);
      if (await present(root, rel)) return rel;
    }
  }
  return undefined;
}

/** A workspace member has its lockfile in an ancestor folder. */
async function lockAbove(root: string, dir: string): Promise<boolean> {
  const parts = dir ? dir.split("/") : [];
  for (let i = parts.length - 1; i >= 0; i--) {
    if (await present(root, relJoin(parts.slice(0, i).join("/"), "package-lock.json"))) return true;
  }
  return false;
}

/** Python lockfile findings for the project whose pyproject.toml is in `dir`. */
export async function scanPythonProject(root: string, dir: string): Promise<ProjectResult> {
  const out: ProjectResult = { findings: [], errors: [], installScripts: [] };
  const pyRel = relJoin(dir, "pyproject.toml");
  const pyText = await readProjectFile(root, pyRel, out.errors);
  if (pyText === undefined) return out;
  const py = readToml(pyRel, pyText);
  if (!py.ok) return { ...out, errors: [py.error] };
  let lock: { rel: string; data: Record<string, unknown> } | undefined;
  for (const name of ["uv.lock", "poetry.lock"]) {
    const rel = relJoin(dir, name);
    const text = await readProjectFile(root, rel, out.errors);
    if (text === undefined) continue;
    const parsed = readToml(rel, text);
    if (!parsed.ok) return { ...out, errors: [parsed.error] };
    lock = { rel, data: parsed.data };
    break;
  }
  const siblings = (await readdir(join(root, dir))).filter((n) => /^requirements.*\.txt$/.test(n));
  let hashedRequirements = false;
  for (const r of siblings)
    if ((await readProjectFile(root, relJoin(dir, r), out.errors))?.includes("--hash"))
      hashedRequirements = true;
  out.findings.push(...checkPythonLock({ pyRel, pyText, pyproject: py.data, lock, hashedRequirements }));
  return out;
}
