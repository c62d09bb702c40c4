// Runs the npm rules per project folder: package.json, and the lockfile beside it or at a workspace root above it.

import { join, posix } from "node:path";
import { finding } from "./finding.js";
import { parseJsonLocated } from "./jsonc.js";
import type { Position } from "./location.js";
import type { JsLockfile } from "./lockfiles/model.js";
import { readJsLock } from "./lockfiles/read.js";
import { type ProjectResult, present, readProjectFile, relJoin } from "./project-files.js";
import { checkLockedPackages, lockDrift } from "./rules/js-lockfile.js";
import { checkLockfile } from "./rules/npm-lockfile.js";
import { checkPinning, DEP_SECTIONS, depsOf, type Manifest } from "./rules/npm-pinning.js";
import type { FileError } from "./types.js";

export type { ProjectResult } from "./project-files.js";

const DEFAULT_REGISTRY = "https://registry.npmjs.org/";
/** npm's lockfiles, in the order npm takes them: npm-shrinkwrap.json wins whenever it is there. */
const NPM_LOCKS = ["npm-shrinkwrap.json", "package-lock.json"];
/** The other package managers' lockfiles the scan reads. */
const OTHER_LOCKS = ["pnpm-lock.yaml", "yarn.lock", "bun.lock"];
/** Lockfiles that are there but that the scan cannot read, and why. */
const UNREADABLE: Record<string, string> = {
  "bun.lockb":
    "Bun's binary lockfile, which the scan cannot read: `bun install --save-text-lockfile` writes bun.lock",
};

/** What every npm project of one scan shares. */
export interface NpmScanContext {
  root: string;
  registryOverride: string | undefined;
  /** Folders whose package.json this scan checks (each against its lockfile); a root leaves them to it. */
  scannedDirs: ReadonlySet<string>;
  excluded: (rel: string) => boolean;
  /** Lockfiles read so far, each read once (a workspace root's lockfile serves every member). */
  locks: Map<string, Promise<{ lock: JsLockfile } | { error: FileError }>>;
  /** The names of the scanned tree's own packages (Yarn classic does not lock a workspace's siblings). */
  localNames: () => Promise<Set<string>>;
}

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

/** The lockfiles in one folder. */
async function lockfilesIn(
  root: string,
  dir: string,
): Promise<{ npm: string | undefined; others: string[]; unreadable: string | undefined }> {
  const has = async (name: string) =>
    (await present(root, relJoin(dir, name))) ? relJoin(dir, name) : undefined;
  const npm = (await has(NPM_LOCKS[0]!)) ?? (await has(NPM_LOCKS[1]!));
  const others = (await Promise.all(OTHER_LOCKS.map(has))).filter((r) => r !== undefined);
  const unreadable = (await Promise.all(Object.keys(UNREADABLE).map(has))).find((r) => r !== undefined);
  return { npm, others, unreadable };
}

/** "bun.lockb is Bun's binary lockfile, …". */
const unreadableNote = (rel: string): string => `${rel} is ${UNREADABLE[posix.basename(rel)]}`;

/** A pnpm, Yarn or Bun lockfile, read once per scan; undefined (with the error recorded) when it cannot be. */
async function readLock(
  ctx: NpmScanContext,
  rel: string,
  errors: FileError[],
): Promise<JsLockfile | undefined> {
  let pending = ctx.locks.get(rel);
  if (!pending) {
    pending = (async () => {
      const readErrors: FileError[] = [];
      const text = await readProjectFile(ctx.root, rel, readErrors);
      if (text === undefined) return { error: readErrors[0]! };
      const read = readJsLock(rel, text);
      return read.ok ? { lock: read.lock } : { error: read.error };
    })();
    ctx.locks.set(rel, pending);
  }
  const r = await pending;
  if ("lock" in r) return r.lock;
  errors.push(r.error);
  return undefined;
}

const TOP: Position = { line: 1, column: 1 };

/** Out-of-sync findings for the project at `path` (relative to the lockfile's folder), or "absent". */
async function driftFindings(
  ctx: NpmScanContext,
  lock: JsLockfile,
  lockRel: string,
  path: string,
  manifest: Manifest,
  absentIsEmpty = false,
): Promise<ProjectResult["findings"] | "absent"> {
  const names = lock.importers === undefined ? await ctx.localNames() : new Set<string>();
  const drift = lockDrift(lock, path, manifest, (n) => names.has(n), absentIsEmpty);
  if (drift === "absent") return "absent";
  const at = lock.importers?.get(path)?.at ?? TOP;
  return [...drift].map(([msg, name]) => finding("npm-lockfile-out-of-sync", lockRel, at, msg, name));
}

/** Every check of a pnpm, Yarn or Bun lockfile that sits beside the package.json in `dir`. */
async function checkOwnLock(
  ctx: NpmScanContext,
  dir: string,
  lockRel: string,
  manifest: Manifest,
  out: ProjectResult,
): Promise<void> {
  const lock = await readLock(ctx, lockRel, out.errors);
  if (!lock) return;
  // A lockfile that records projects but not its own folder's has none of its dependencies.
  const own = await driftFindings(ctx, lock, lockRel, ".", manifest, true);
  if (own !== "absent") out.findings.push(...own);
  for (const [path, importer] of lock.importers ?? []) {
    const member = posix.normalize(posix.join(dir || ".", path));
    if (path === "." || member.startsWith("../") || member === ".." || posix.isAbsolute(member)) continue;
    const memberRel = relJoin(member, "package.json");
    // A member the scan looks at checks itself against this lockfile (so each drift is reported once).
    if (ctx.excluded(member) || (ctx.scannedDirs.has(member) && (await present(ctx.root, memberRel))))
      continue;
    const text = await readProjectFile(ctx.root, memberRel, out.errors);
    if (text === undefined) {
      if (await present(ctx.root, memberRel)) continue;
      const msg = `the lockfile records the project ${path}, which has no package.json`;
      out.findings.push(finding("npm-lockfile-out-of-sync", lockRel, importer.at, msg));
      continue;
    }
    const parsed = parseJsonLocated(memberRel, text);
    if (!parsed.ok) {
      out.errors.push(parsed.error);
      continue;
    }
    const drift = await driftFindings(ctx, lock, lockRel, path, (parsed.value ?? {}) as Manifest);
    if (drift !== "absent") out.findings.push(...drift);
  }
  const r = checkLockedPackages({ lock, lockRel, manifest, ...(await registries(ctx, dir, out.errors)) });
  out.findings.push(...r.findings);
  out.installScripts.push(...r.installScripts);
}

/** The registry packages are expected from (the scan's override, else `.npmrc`'s, else npm's) and per-scope ones. */
async function registries(ctx: NpmScanContext, dir: string, errors: FileError[]) {
  const rc = await npmrc(ctx.root, dir, errors);
  return { registry: ctx.registryOverride ?? rc.registry ?? DEFAULT_REGISTRY, scopes: rc.scopes };
}

/** The npm checks of package-lock.json (or npm-shrinkwrap.json), read with arborist. */
async function checkNpmLock(
  ctx: NpmScanContext,
  dir: string,
  lockRel: string,
  manifest: Manifest,
  out: ProjectResult,
): Promise<void> {
  const errors: FileError[] = [];
  const lockText = await readProjectFile(ctx.root, lockRel, errors);
  if (lockText === undefined) return void out.errors.push(...errors);
  const lockParsed = parseJsonLocated(lockRel, lockText);
  if (!lockParsed.ok) return void out.errors.push(lockParsed.error);
  const where = await registries(ctx, dir, out.errors);
  try {
    const r = await checkLockfile({ dir: join(ctx.root, dir), lockRel, lockText, manifest, ...where });
    out.findings.push(...r.findings);
    out.installScripts.push(...r.installScripts);
  } catch (e) {
    out.errors.push({ file: lockRel, ...TOP, kind: "parse", message: `arborist: ${(e as Error).message}` });
  }
}

/**
 * A project without a lockfile of its own: covered by the nearest folder above that has one, when that
 * lockfile records it (a workspace member), and checked against that record. Without dependencies it
 * needs no lockfile, but a record of it must still match.
 */
async function checkLockAbove(
  ctx: NpmScanContext,
  dir: string,
  manifest: Manifest,
  out: ProjectResult,
  hasDeps: boolean,
): Promise<void> {
  const missing = (why: string): void => {
    if (hasDeps) out.findings.push(finding("npm-lockfile-missing", relJoin(dir, "package.json"), TOP, why));
  };
  const parts = dir ? dir.split("/") : [];
  for (let i = parts.length - 1; i >= 0; i--) {
    const above = parts.slice(0, i).join("/");
    const locks = await lockfilesIn(ctx.root, above);
    if (!locks.npm && locks.others.length === 0 && !locks.unreadable) continue;
    // arborist checks a workspace member from the root's package-lock.json.
    if (locks.npm) return;
    const path = posix.relative(above || ".", dir);
    const unrecorded: string[] = [];
    let recorded = false;
    for (const lockRel of locks.others) {
      const lock = await readLock(ctx, lockRel, out.errors);
      // One that cannot be read is an error already: the scan is incomplete, not this project unlocked.
      const drift = lock ? await driftFindings(ctx, lock, lockRel, path, manifest) : [];
      if (drift === "absent") unrecorded.push(lockRel);
      else {
        recorded = true;
        out.findings.push(...drift);
      }
    }
    if (recorded) return;
    const why = unrecorded.length
      ? `${unrecorded.join(" and ")} above records no project at ${path}`
      : unreadableNote(locks.unreadable!);
    missing(`no lockfile records this project: ${why}`);
    return;
  }
  const names = [...NPM_LOCKS.slice().reverse(), ...OTHER_LOCKS];
  missing(`no lockfile (${names.slice(0, -1).join(", ")} or ${names.at(-1)}) here or in a folder above`);
}

/** All npm findings for the project in `dir` (relative to root, "" for root). */
export async function scanNpmProject(ctx: NpmScanContext, dir: string): Promise<ProjectResult> {
  const out: ProjectResult = { findings: [], errors: [], installScripts: [] };
  const pkgRel = relJoin(dir, "package.json");
  const text = await readProjectFile(ctx.root, pkgRel, out.errors);
  if (text === undefined) return out;
  const parsed = parseJsonLocated(pkgRel, text);
  if (!parsed.ok) return { ...out, errors: [parsed.error] };
  const manifest = (parsed.value ?? {}) as Manifest;
  out.findings.push(...checkPinning(pkgRel, text, manifest));
  const locks = await lockfilesIn(ctx.root, dir);
  if (locks.npm) await checkNpmLock(ctx, dir, locks.npm, manifest, out);
  for (const lockRel of locks.others) await checkOwnLock(ctx, dir, lockRel, manifest, out);
  if (locks.npm || locks.others.length > 0) return out;
  const hasDeps = DEP_SECTIONS.some((s) => Object.keys(depsOf(manifest, s)).length > 0);
  if (locks.unreadable) {
    const msg = `no lockfile the scan can read: ${unreadableNote(locks.unreadable)}`;
    if (hasDeps) out.findings.push(finding("npm-lockfile-missing", pkgRel, TOP, msg));
    return out;
  }
  await checkLockAbove(ctx, dir, manifest, out, hasDeps);
  return out;
}
