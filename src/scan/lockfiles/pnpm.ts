// Reads pnpm-lock.yaml (lockfileVersion 6.x, pnpm 8; 9.x, pnpm 9 and later, also in its two-document form).

import type { Position } from "../location.js";
import {
  DEP_SECTIONS,
  type DepSection,
  FULL_COMMIT,
  isObj,
  type JsLockfile,
  type LockedImporter,
  type LockedPackage,
  type LockRead,
  lockError,
  type Obj,
  type PackageSource,
  splitNameAt,
} from "./model.js";
import { readYamlDocs, type YamlEntry } from "./yaml-entries.js";

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Hosts whose tarball URL carries the commit it was built from, which pins it (pnpm's own rule). */
const GIT_HOSTED_TARBALL =
  /^https:\/\/(?:codeload\.github\.com|gitlab\.com|bitbucket\.org)\/.*\b([0-9a-f]{40})\b/i;

/**
 * An importer's sections (`{ name: { specifier, version } }`) as `name → specifier`, or the dotted path of
 * the first entry without a specifier.
 */
function sectionSpecs(where: string, section: unknown): Record<string, string> | string {
  const out: Record<string, string> = {};
  if (section === undefined || section === null) return out;
  if (!isObj(section)) return where;
  for (const [name, dep] of Object.entries(section)) {
    const specifier = isObj(dep) ? str(dep.specifier) : undefined;
    if (specifier === undefined) return `${where}.${name}`;
    out[name] = specifier;
  }
  return out;
}

function importer(where: string, raw: Obj, at: Position): LockedImporter | string {
  const sections: Partial<Record<DepSection, Record<string, string>>> = {};
  for (const s of DEP_SECTIONS) {
    const specs = sectionSpecs(`${where}.${s}`, raw[s]);
    if (typeof specs === "string") return specs;
    sections[s] = specs;
  }
  return { at, by: "section", sections };
}

/** Name and version from an entry's own fields, else from its key (`/name@1.0.0(peer@2.0.0)` in 6.x). */
function nameVersion(key: string, entry: Obj): { name: string; version: string } {
  const bare = key.replace(/^\//, "").replace(/\(.*$/, "");
  const split = splitNameAt(bare);
  return {
    name: str(entry.name) ?? split?.name ?? bare,
    version: str(entry.version) ?? split?.rest ?? "",
  };
}

function sourceAndPin(resolution: Obj): { source: PackageSource; pin: string | undefined } {
  const integrity = str(resolution.integrity);
  if (resolution.type === "directory") return { source: { kind: "local" }, pin: undefined };
  if (resolution.type === "git") {
    const commit = str(resolution.commit);
    const repo = str(resolution.repo) ?? "a git repository";
    return {
      source: { kind: "remote", url: repo },
      pin: integrity ?? (commit && FULL_COMMIT.test(commit) ? commit : undefined),
    };
  }
  const tarball = str(resolution.tarball);
  if (tarball?.startsWith("file:")) return { source: { kind: "local" }, pin: undefined };
  if (tarball !== undefined)
    return {
      source: { kind: "remote", url: tarball },
      pin: integrity ?? GIT_HOSTED_TARBALL.exec(tarball)?.[1],
    };
  return { source: { kind: "registry" }, pin: integrity };
}

function lockedPackage(entry: YamlEntry, installScripts: boolean): LockedPackage | string {
  if (!isObj(entry.value)) return `packages.${entry.key} is not a map`;
  const resolution = entry.value.resolution;
  if (!isObj(resolution)) return `packages.${entry.key} has no resolution`;
  const pkg: LockedPackage = {
    ...nameVersion(entry.key, entry.value),
    at: entry.at,
    ...sourceAndPin(resolution),
  };
  // pnpm 9 took requiresBuild out of the lockfile; 6.x still records which packages run install scripts.
  if (installScripts) pkg.installScript = entry.value.requiresBuild === true;
  return pkg;
}

export function readPnpmLock(rel: string, text: string): LockRead {
  const read = readYamlDocs(rel, text);
  if ("error" in read) return { ok: false, error: read.error };
  // pnpm 11 may write two documents: pnpm's own install first, the project's lockfile last (always there).
  const project = read.docs.at(-1)!;
  const version = project.get("lockfileVersion");
  const versionAt = read.keyAt(project, "lockfileVersion");
  if (typeof version !== "string" && typeof version !== "number")
    return lockError(rel, { line: 1, column: 1 }, "not a pnpm lockfile: no lockfileVersion");
  const major = /^(\d+)\.\d+$/.exec(String(version))?.[1];
  if (major !== "6" && major !== "9")
    return lockError(
      rel,
      versionAt,
      `lockfileVersion ${version} is not read: pnpm-lock.yaml 6.x (pnpm 8) and 9.x (pnpm 9 and later) are; run a current pnpm install to rewrite it`,
    );
  const lock: JsLockfile = { kind: "pnpm", importers: new Map(), patterns: new Set(), packages: [] };
  lock.linksExcluded = project.getIn(["settings", "excludeLinksFromLockfile"]) === true;
  const importers = read.entries(project, "importers");
  for (const entry of importers) {
    const made = isObj(entry.value)
      ? importer(`importers.${entry.key}`, entry.value, entry.at)
      : `importers.${entry.key}`;
    if (typeof made === "string")
      return lockError(rel, entry.at, `${made} is not a {specifier, version} map`);
    lock.importers!.set(entry.key, made);
  }
  // A 6.x lockfile of a single project keeps the importer's sections at the top level.
  if (importers.length === 0 && major === "6") {
    const top = project.toJS() as Obj;
    const made = importer("", top, read.keyAt(project, "dependencies"));
    if (typeof made === "string")
      return lockError(rel, versionAt, `${made.slice(1)} is not a {specifier, version} map`);
    lock.importers!.set(".", made);
  }
  for (const doc of read.docs) {
    for (const entry of read.entries(doc, "packages")) {
      const pkg = lockedPackage(entry, major === "6");
      if (typeof pkg === "string") return lockError(rel, entry.at, pkg);
      lock.packages.push(pkg);
    }
  }
  return { ok: true, lock };
}
