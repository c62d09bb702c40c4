// npm's lockfile rules over pnpm, Yarn and Bun lockfiles: sync with package.json, integrity, registry, install scripts.

import { finding } from "../finding.js";
import { DEP_SECTIONS, type JsLockfile, type LockedPackage } from "../lockfiles/model.js";
import type { Finding, InstallScriptEntry } from "../types.js";
import { depsOf, type Manifest } from "./npm-pinning.js";

/** Yarn Berry writes a workspace's `^1.0.0` as `npm:^1.0.0` (Yarn 4); an alias (`npm:other@^1`) stays. */
const berrySpec = (spec: string): string =>
  spec.startsWith("npm:") && !spec.slice(4).includes("@") ? spec.slice(4) : spec;

/**
 * How package.json differs from the lockfile's record of the project at `path` (message → dependency
 * name), or "absent" when the lockfile records projects and not this one (with `absentIsEmpty`, every
 * dependency is then missing from it). `isLocal` tells Yarn classic's dependencies on a workspace of the
 * same repository, which it resolves without a lockfile entry.
 */
export function lockDrift(
  lock: JsLockfile,
  path: string,
  manifest: Manifest,
  isLocal: (name: string) => boolean = () => false,
  absentIsEmpty = false,
): Map<string, string> | "absent" {
  const drift = new Map<string, string>();
  const wanted = DEP_SECTIONS.flatMap((section) =>
    Object.entries(depsOf(manifest, section)).map(([name, spec]) => ({ section, name, spec })),
  );
  if (lock.importers === undefined) {
    for (const { section, name, spec } of wanted)
      if (!lock.patterns.has(`${name}@${spec}`) && !isLocal(name))
        drift.set(`${section}.${name}@${spec} is not in the lockfile`, name);
    return drift;
  }
  const importer =
    lock.importers.get(path) ??
    (absentIsEmpty ? { at: { line: 1, column: 1 }, by: "section" as const, sections: {} } : undefined);
  if (!importer) return "absent";
  const prefix = path === "." ? "" : `${path}: `;
  if (importer.by === "merged") {
    const seen = new Set<string>();
    for (const { section, name, spec } of wanted) {
      seen.add(name);
      const have = Object.hasOwn(importer.deps, name) ? importer.deps[name] : undefined;
      if (have === undefined) drift.set(`${prefix}${section}.${name} is not in the lockfile`, name);
      else if (berrySpec(have) !== berrySpec(spec))
        drift.set(`${prefix}${section}.${name} is "${spec}" but the lockfile has "${have}"`, name);
    }
    for (const name of Object.keys(importer.deps))
      if (!seen.has(name)) drift.set(`${prefix}the lockfile still lists ${name}`, name);
    return drift;
  }
  for (const section of DEP_SECTIONS) {
    const want = depsOf(manifest, section);
    const have = new Map(Object.entries(importer.sections[section] ?? {}));
    for (const [name, spec] of Object.entries(want)) {
      // pnpm's excludeLinksFromLockfile leaves link: dependencies out of the importer on purpose.
      if (lock.linksExcluded && spec.startsWith("link:")) continue;
      const locked = have.get(name);
      if (locked === undefined) drift.set(`${prefix}${section}.${name} is not in the lockfile`, name);
      else if (locked !== spec)
        drift.set(`${prefix}${section}.${name} is "${spec}" but the lockfile has "${locked}"`, name);
    }
    for (const name of have.keys())
      if (!Object.hasOwn(want, name)) drift.set(`${prefix}the lockfile still lists ${section}.${name}`, name);
  }
  return drift;
}

export interface PackageCheckInput {
  lock: JsLockfile;
  lockRel: string;
  /** package.json beside the lockfile: its `allowScripts` (and pnpm's build settings) approve install scripts. */
  manifest: Manifest;
  /** Registry for unscoped packages, and per-scope registries. */
  registry: string;
  scopes: Map<string, string>;
}

const withSlash = (u: string): string => (u.endsWith("/") ? u : `${u}/`);
const NPM_REGISTRY = "https://registry.npmjs.org/";
const YARN_REGISTRY = "https://registry.yarnpkg.com/";

/** Whether `url` is under `registry`; Yarn's default registry is npm's, served under another name. */
function fromRegistry(url: string, registry: string, kind: JsLockfile["kind"]): boolean {
  if (url.startsWith(registry)) return true;
  return kind.startsWith("yarn") && registry === NPM_REGISTRY && url.startsWith(YARN_REGISTRY);
}

/** The decision package.json records for a package's install script: npm `allowScripts`, then pnpm's. */
function scriptDecision(manifest: Manifest, name: string, version: string): boolean | null {
  const allow = manifest.allowScripts;
  if (typeof allow === "object" && allow !== null) {
    const v =
      (allow as Record<string, unknown>)[`${name}@${version}`] ?? (allow as Record<string, unknown>)[name];
    if (typeof v === "boolean") return v;
  }
  const pnpm = manifest.pnpm;
  if (typeof pnpm !== "object" || pnpm === null) return null;
  const list = (key: string): string[] | undefined => {
    const v = (pnpm as Record<string, unknown>)[key];
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : undefined;
  };
  const only = list("onlyBuiltDependencies");
  if (only?.includes(name)) return true;
  if (list("neverBuiltDependencies")?.includes(name) || list("ignoredBuiltDependencies")?.includes(name))
    return false;
  // With onlyBuiltDependencies set, pnpm runs no other package's scripts.
  return only ? false : null;
}

/** Integrity, registry and install-script findings for every package a lockfile locks. */
export function checkLockedPackages(input: PackageCheckInput): {
  findings: Finding[];
  installScripts: InstallScriptEntry[];
} {
  const findings: Finding[] = [];
  const installScripts: InstallScriptEntry[] = [];
  const rel = input.lockRel;
  const label = (p: LockedPackage) => `${p.name}@${p.version}`;
  for (const p of input.lock.packages) {
    if (p.source.kind === "local") continue;
    if (p.pin === undefined && !p.platformOnly)
      findings.push(finding("npm-missing-integrity", rel, p.at, `${label(p)} has no integrity hash`, p.name));
    const scope = p.name.startsWith("@") ? p.name.split("/")[0]! : "";
    const registry = withSlash(input.scopes.get(scope) ?? input.registry);
    if (p.source.kind === "remote" && !fromRegistry(p.source.url, registry, input.lock.kind)) {
      const msg = `${label(p)} is resolved from ${p.source.url}, not from ${registry}`;
      findings.push(finding("npm-untrusted-registry", rel, p.at, msg, p.name));
    }
    if (!p.installScript) continue;
    const allowed = scriptDecision(input.manifest, p.name, p.version);
    installScripts.push({ name: p.name, version: p.version, lockfile: rel, allowed });
    if (allowed === null) {
      const by = input.lock.kind === "pnpm" ? "allowScripts or pnpm.onlyBuiltDependencies" : "allowScripts";
      const msg = `${label(p)} has an install script not covered by package.json ${by}`;
      findings.push(finding("npm-install-script", rel, p.at, msg, p.name));
    }
  }
  return { findings, installScripts };
}
