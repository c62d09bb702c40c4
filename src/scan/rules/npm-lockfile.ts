// Rules on package-lock.json, read with @npmcli/arborist: sync with package.json, integrity, registry, install scripts.

import { finding } from "../finding.js";
import { positionOf } from "../location.js";
import type { Finding, InstallScriptEntry } from "../types.js";
import { DEP_SECTIONS, depsOf, type Manifest } from "./npm-pinning.js";

export interface LockInput {
  /** Absolute directory holding package.json and the lockfile. */
  dir: string;
  /** Relative path of the lockfile, for findings. */
  lockRel: string;
  lockText: string;
  manifest: Manifest;
  /** Registry for unscoped packages, and per-scope registries. */
  registry: string;
  scopes: Map<string, string>;
}

export interface LockResult {
  findings: Finding[];
  installScripts: InstallScriptEntry[];
}

const withSlash = (u: string): string => (u.endsWith("/") ? u : `${u}/`);

function allowScripts(manifest: Manifest, name: string, version: string): boolean | null {
  const allow = manifest.allowScripts;
  if (typeof allow !== "object" || allow === null) return null;
  const table = allow as Record<string, unknown>;
  const v = table[`${name}@${version}`] ?? table[name];
  return typeof v === "boolean" ? v : null;
}

/** Differences between package.json and the lockfile's record of it (what `npm ci` refuses). */
function rootDrift(input: LockInput): Map<string, string> {
  let lock: { packages?: Record<string, Manifest> };
  try {
    lock = JSON.parse(input.lockText) as typeof lock;
  } catch {
    return new Map();
  }
  const drift = new Map<string, string>();
  const root = lock.packages?.[""];
  if (!root) return drift;
  for (const section of DEP_SECTIONS) {
    const want = depsOf(input.manifest, section);
    const have = depsOf(root, section);
    for (const [name, spec] of Object.entries(want)) {
      if (have[name] === undefined) drift.set(`${section}.${name} is not in the lockfile`, name);
      else if (have[name] !== spec)
        drift.set(`${section}.${name} is "${spec}" but the lockfile has "${have[name]}"`, name);
    }
    for (const name of Object.keys(have))
      if (want[name] === undefined) drift.set(`the lockfile still lists ${section}.${name}`, name);
  }
  return drift;
}

/** Every lockfile finding for one npm project. Throws when arborist cannot read the lockfile. */
export async function checkLockfile(input: LockInput): Promise<LockResult> {
  const { default: Arborist } = await import("@npmcli/arborist");
  const tree = await new Arborist({ path: input.dir }).loadVirtual();
  const findings: Finding[] = [];
  const installScripts: InstallScriptEntry[] = [];
  const rel = input.lockRel;
  const top = { line: 1, column: 1 };
  const drift = rootDrift(input);
  const reported = new Set(drift.values());
  for (const node of tree.inventory.values()) {
    if (!node.isProjectRoot && !node.isWorkspace) continue;
    for (const edge of node.edgesOut.values()) {
      if ((edge.type.startsWith("peer") && edge.missing) || reported.has(edge.name)) continue;
      if (edge.missing) drift.set(`${edge.name}@${edge.spec} is not in the lockfile`, edge.name);
      else if (edge.invalid)
        drift.set(`${edge.name}@${edge.spec} does not match the locked version`, edge.name);
    }
  }
  for (const [msg, name] of drift) findings.push(finding("npm-lockfile-out-of-sync", rel, top, msg, name));
  for (const node of tree.inventory.values()) {
    // Links and their targets are local folders, bundled deps ship inside their parent's tarball.
    if (node.isProjectRoot || node.isLink || node.isWorkspace || node.inBundle || node.linksIn.size > 0)
      continue;
    const at = positionOf(input.lockText, `"${node.location}"`);
    const name = node.packageName;
    if (!node.integrity)
      findings.push(
        finding("npm-missing-integrity", rel, at, `${name}@${node.version} has no integrity hash`, name),
      );
    const scope = name.startsWith("@") ? name.split("/")[0]! : "";
    const registry = withSlash(input.scopes.get(scope) ?? input.registry);
    if (node.resolved && !node.resolved.startsWith(registry)) {
      const msg = `${name}@${node.version} is resolved from ${node.resolved}, not from ${registry}`;
      findings.push(finding("npm-untrusted-registry", rel, at, msg, name));
    }
    if (!node.hasInstallScript) continue;
    const allowed = allowScripts(input.manifest, name, node.version);
    installScripts.push({ name, version: node.version, lockfile: rel, allowed });
    if (allowed === null) {
      const msg = `${name}@${node.version} has an install script not covered by package.json allowScripts`;
      findings.push(finding("npm-install-script", rel, at, msg, name));
    }
  }
  return { findings, installScripts };
}
