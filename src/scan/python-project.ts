// Runs the Python lockfile rules per project folder: pyproject.toml against uv.lock / poetry.lock, Pipfile
// against Pipfile.lock, and the hashes of every lockfile there.

import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { type ProjectResult, readProjectFile, relJoin } from "./project-files.js";
import { type PyLock, type PyLockRead, readPipfileLock, readPoetryLock, readUvLock } from "./python/locks.js";
import { checkLockHashes, checkPipfileLock, checkPythonLock, readToml } from "./rules/python-lock.js";

/** The lockfiles of each manifest, in the order the manifest's tools take them. */
const LOCKS: { manifest: string; name: string; read: (rel: string, text: string) => PyLockRead }[] = [
  { manifest: "pyproject.toml", name: "uv.lock", read: readUvLock },
  { manifest: "pyproject.toml", name: "poetry.lock", read: readPoetryLock },
  { manifest: "Pipfile", name: "Pipfile.lock", read: readPipfileLock },
];

/** Python lockfile findings for the folder `dir` (a pyproject.toml, a Pipfile and their lockfiles). */
export async function scanPythonProject(root: string, dir: string): Promise<ProjectResult> {
  const out: ProjectResult = { findings: [], errors: [], installScripts: [] };
  // Every lockfile there is checked; one that cannot be read leaves its manifest unchecked (an error, not pinned).
  const locks = new Map<string, PyLock[]>();
  const unreadable = new Set<string>();
  for (const { manifest, name, read } of LOCKS) {
    const rel = relJoin(dir, name);
    const text = await readProjectFile(root, rel, out.errors);
    if (text === undefined) {
      if (out.errors.some((e) => e.file === rel)) unreadable.add(manifest);
      continue;
    }
    const r = read(rel, text);
    if (!r.ok) {
      out.errors.push(r.error);
      unreadable.add(manifest);
      continue;
    }
    locks.set(manifest, [...(locks.get(manifest) ?? []), r.lock]);
    out.findings.push(...checkLockHashes(r.lock));
  }
  let hashed: boolean | undefined;
  const hashedRequirements = async (): Promise<boolean> => {
    if (hashed !== undefined) return hashed;
    hashed = false;
    const siblings = (await readdir(join(root, dir))).filter((n) => /^requirements.*\.txt$/.test(n));
    for (const r of siblings)
      if ((await readProjectFile(root, relJoin(dir, r), out.errors))?.includes("--hash")) hashed = true;
    return hashed;
  };

  const pyRel = relJoin(dir, "pyproject.toml");
  const pyText = unreadable.has("pyproject.toml")
    ? undefined
    : await readProjectFile(root, pyRel, out.errors);
  if (pyText !== undefined) {
    const py = readToml(pyRel, pyText);
    if (!py.ok) out.errors.push(py.error);
    else {
      const lock = locks.get("pyproject.toml")?.[0];
      const input = {
        pyRel,
        pyText,
        pyproject: py.data,
        lock,
        hashedRequirements: await hashedRequirements(),
      };
      out.findings.push(...checkPythonLock(input));
    }
  }
  const pipRel = relJoin(dir, "Pipfile");
  const pipText = unreadable.has("Pipfile") ? undefined : await readProjectFile(root, pipRel, out.errors);
  if (pipText !== undefined) {
    const pip = readToml(pipRel, pipText);
    if (!pip.ok) out.errors.push(pip.error);
    else {
      const lock = locks.get("Pipfile")?.[0];
      const input = {
        pipRel,
        pipText,
        pipfile: pip.data,
        lock,
        hashedRequirements: await hashedRequirements(),
      };
      out.findings.push(...checkPipfileLock(input));
    }
  }
  return out;
}
