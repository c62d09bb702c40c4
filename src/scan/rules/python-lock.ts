// Rules py-lockfile-missing, py-lockfile-out-of-sync and py-missing-hash: pyproject.toml against uv.lock /
// poetry.lock, Pipfile against Pipfile.lock, and the hashes every lockfile records.

import { finding } from "../finding.js";
import { positionOf } from "../location.js";
import type { PyLock } from "../python/locks.js";
import { normalizeName, parseRequirement, type Requirement } from "../python/pep508.js";
import type { Table } from "../python/toml.js";
import type { Finding } from "../types.js";

export { readToml } from "../python/toml.js";

const table = (v: unknown): Table =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Table) : {};
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];

/** Direct dependencies declared in pyproject.toml (PEP 621, PEP 735 groups, Poetry tables). */
export function declaredDeps(pyproject: Table): Requirement[] {
  const project = table(pyproject.project);
  const specs = [...strings(project.dependencies)];
  for (const extra of Object.values(table(project["optional-dependencies"]))) specs.push(...strings(extra));
  for (const group of Object.values(table(pyproject["dependency-groups"]))) specs.push(...strings(group));
  const reqs = specs.map(parseRequirement).filter((r): r is Requirement => r !== undefined);
  const poetry = table(table(pyproject.tool).poetry);
  const poetryTables = [table(poetry.dependencies), table(poetry["dev-dependencies"])];
  for (const g of Object.values(table(poetry.group))) poetryTables.push(table(table(g).dependencies));
  for (const t of poetryTables) {
    for (const name of Object.keys(t)) {
      if (name !== "python") reqs.push({ name, key: normalizeName(name), specifier: "", url: undefined });
    }
  }
  return reqs;
}

export interface PyLockInput {
  pyRel: string;
  pyText: string;
  pyproject: Table;
  lock: PyLock | undefined;
  /** A requirements file with hashes next to pyproject.toml also fixes the tree. */
  hashedRequirements: boolean;
}

export function checkPythonLock(input: PyLockInput): Finding[] {
  const deps = declaredDeps(input.pyproject);
  if (deps.length === 0) return [];
  if (!input.lock) {
    if (input.hashedRequirements) return [];
    const msg = `${deps.length} dependencies declared but no uv.lock or poetry.lock next to it`;
    return [finding("py-lockfile-missing", input.pyRel, { line: 1, column: 1 }, msg)];
  }
  const { names, requiresDist } = input.lock;
  const out: Finding[] = [];
  for (const dep of deps) {
    const inLock = requiresDist ? requiresDist.has(dep.key) : names.has(dep.key);
    if (inLock) continue;
    const at = positionOf(input.pyText, dep.name);
    out.push(
      finding(
        "py-lockfile-out-of-sync",
        input.pyRel,
        at,
        `${dep.name} is declared but not in ${input.lock.rel}`,
        dep.key,
      ),
    );
  }
  if (requiresDist) {
    const declared = new Set(deps.map((d) => d.key));
    for (const name of requiresDist) {
      if (declared.has(name)) continue;
      const msg = `${input.lock.rel} still requires ${name}, which pyproject.toml no longer declares`;
      out.push(finding("py-lockfile-out-of-sync", input.lock.rel, { line: 1, column: 1 }, msg, name));
    }
  }
  return out;
}

/** A package the installer downloads, locked without a hash: nothing checks that the file is the one locked. */
export function checkLockHashes(lock: PyLock): Finding[] {
  return lock.packages
    .filter((p) => p.needsHash && !p.hashed)
    .map((p) => {
      const what = p.version ? `${p.name} ${p.version}` : p.name;
      return finding(
        "py-missing-hash",
        lock.rel,
        p.at,
        `${what} is locked without a hash`,
        normalizeName(p.name),
      );
    });
}

/** Pipfile tables that are not package sections. */
const PIPFILE_OTHER = new Set(["source", "requires", "scripts", "pipenv"]);

/**
 * The packages a Pipfile declares, with the Pipfile.lock section each is locked in: `[packages]` in
 * `default`, `[dev-packages]` in `develop`, and any other table (a pipenv category) in its own name.
 */
export function pipfileDeps(pipfile: Table): { name: string; key: string; section: string }[] {
  const out: { name: string; key: string; section: string }[] = [];
  for (const [group, value] of Object.entries(pipfile)) {
    if (PIPFILE_OTHER.has(group) || typeof value !== "object" || value === null || Array.isArray(value))
      continue;
    const section = group === "packages" ? "default" : group === "dev-packages" ? "develop" : group;
    for (const name of Object.keys(value)) out.push({ name, key: normalizeName(name), section });
  }
  return out;
}

export interface PipfileLockInput {
  pipRel: string;
  pipText: string;
  pipfile: Table;
  lock: PyLock | undefined;
  hashedRequirements: boolean;
}

/** A Pipfile with packages needs a Pipfile.lock that locks each of them in its section. */
export function checkPipfileLock(input: PipfileLockInput): Finding[] {
  const deps = pipfileDeps(input.pipfile);
  if (deps.length === 0) return [];
  if (!input.lock) {
    if (input.hashedRequirements) return [];
    const msg = `${deps.length} packages declared but no Pipfile.lock next to it`;
    return [finding("py-lockfile-missing", input.pipRel, { line: 1, column: 1 }, msg)];
  }
  const out: Finding[] = [];
  for (const dep of deps) {
    if (input.lock.sections?.get(dep.section)?.has(dep.key)) continue;
    const at = positionOf(input.pipText, dep.name);
    const msg = `${dep.name} is declared but not in ${input.lock.rel} (section "${dep.section}")`;
    out.push(finding("py-lockfile-out-of-sync", input.pipRel, at, msg, dep.key));
  }
  return out;
}
