// Runs the Python lockfile rules per project folder: pyproject.toml against uv.lock / poetry.lock.

import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { type ProjectResult, readProjectFile, relJoin } from "./project-files.js";
import { checkPythonLock, readToml } from "./rules/python-lock.js";

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
