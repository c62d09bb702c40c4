// Rules py-lockfile-missing and py-lockfile-out-of-sync: pyproject.toml against uv.lock / poetry.lock.

import { parse as parseToml, TomlError } from "smol-toml";
import { finding } from "../finding.js";
import { positionOf } from "../location.js";
import { normalizeName, parseRequirement, type Requirement } from "../python/pep508.js";
import type { FileError, Finding } from "../types.js";

type Table = Record<string, unknown>;

const table = (v: unknown): Table =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Table) : {};
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];

/** Parses TOML or returns a located parse error. */
export function readToml(
  rel: string,
  text: string,
): { ok: true; data: Table } | { ok: false; error: FileError } {
  try {
    return { ok: true, data: parseToml(text) as Table };
  } catch (e) {
    const line = e instanceof TomlError ? e.line : 1;
    const column = e instanceof TomlError ? e.column : 1;
    const message = (e as Error).message.split("\n")[0] ?? "invalid TOML";
    return { ok: false, error: { file: rel, line, column, kind: "parse", message } };
  }
}

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

/** Names locked in uv.lock or poetry.lock, and uv's record of the project's own requirements. */
function lockedNames(lock: Table): { names: Set<string>; requiresDist: Set<string> | undefined } {
  const names = new Set<string>();
  let requiresDist: Set<string> | undefined;
  for (const pkg of Array.isArray(lock.package) ? lock.package : []) {
    const p = table(pkg);
    if (typeof p.name === "string") names.add(normalizeName(p.name));
    const source = table(p.source);
    if (source.editable === "." || source.virtual === ".") {
      const meta = table(p.metadata);
      const reqs: unknown[] = Array.isArray(meta["requires-dist"]) ? [...meta["requires-dist"]] : [];
      for (const group of Object.values(table(meta["requires-dev"])))
        if (Array.isArray(group)) reqs.push(...group);
      requiresDist = new Set(reqs.map((r) => normalizeName(String(table(r).name))));
    }
  }
  return { names, requiresDist };
}

export interface PyLockInput {
  pyRel: string;
  pyText: string;
  pyproject: Table;
  lock: { rel: string; data: Table } | undefined;
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
  const { names, requiresDist } = lockedNames(input.lock.data);
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
