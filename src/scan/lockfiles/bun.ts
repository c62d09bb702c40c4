// Reads Bun's text lockfile, bun.lock (Bun 1.1 and later): JSON with comments and trailing commas.

import { parseJsonLocated } from "../jsonc.js";
import { LineIndex, type Position } from "../location.js";
import {
  DEP_SECTIONS,
  type DepSection,
  FULL_COMMIT,
  isObj,
  type JsLockfile,
  type LockedPackage,
  type LockRead,
  lockError,
  type PackageSource,
  splitNameAt,
} from "./model.js";

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** What an empty registry means in a bun.lock npm entry: the default registry, Bun's and npm's. */
const BUN_DEFAULT_REGISTRY = "https://registry.npmjs.org/";

/** lockfileVersion 0 and 1, and 2 and 3 (which only parse more strictly), share the entries read here. */
const VERSIONS = new Set([0, 1, 2, 3]);

/**
 * Where each key of the top-level object `section` starts, found in the order Bun writes them, each at the
 * start of its own line (so a dependency named inside another entry's info is not taken for it); line 1
 * for one that cannot be found.
 */
function keyPositions(text: string, section: string, keys: string[]): Map<string, Position> {
  const lines = new LineIndex(text);
  const out = new Map<string, Position>();
  let cursor = Math.max(0, text.search(new RegExp(`\\n\\s*"${section}"\\s*:`)));
  for (const key of keys) {
    const needle = `${JSON.stringify(key)}:`;
    let i = text.indexOf(needle, cursor);
    while (i >= 0 && text.slice(text.lastIndexOf("\n", i) + 1, i).trim() !== "")
      i = text.indexOf(needle, i + 1);
    out.set(key, i < 0 ? { line: 1, column: 1 } : lines.at(i));
    if (i >= 0) cursor = i;
  }
  return out;
}

/**
 * One `packages` entry. Its first element is `name@resolution`, which says what the rest are:
 * npm `[ident, registry ("" for the default), info, integrity]`; a tarball URL `[ident, info, integrity?]`;
 * git/github `[ident, info, resolved commit or tag, integrity?]`; `workspace:`, `link:`, `file:`, `root:` and
 * local tarball paths are the project's own.
 */
function lockedPackage(key: string, value: unknown, at: Position): LockedPackage | string {
  const ident = Array.isArray(value) ? value[0] : undefined;
  const split = typeof ident === "string" ? splitNameAt(ident) : undefined;
  if (!Array.isArray(value) || !split) return `packages.${key} is not a ["name@version", …] entry`;
  const { name, rest } = split;
  const local = { name, version: rest, at, source: { kind: "local" } as PackageSource, pin: undefined };
  if (/^(?:workspace|link|file|root):/.test(rest)) return local;
  if (/^(?:git\+|github:)/.test(rest)) {
    const resolved = str(value[2]);
    const pin = str(value[3]) ?? (resolved && FULL_COMMIT.test(resolved) ? resolved : undefined);
    return { name, version: rest, at, source: { kind: "remote", url: rest }, pin };
  }
  if (/^https?:\/\//.test(rest))
    return { name, version: rest, at, source: { kind: "remote", url: rest }, pin: str(value[2]) };
  if (/^[./]|\.t(?:ar\.)?gz$/.test(rest)) return local;
  if (typeof value[1] !== "string" || !isObj(value[2]))
    return `packages.${key} is not a ["name@version", registry, info, integrity] entry`;
  return {
    name,
    version: rest,
    at,
    source: { kind: "remote", url: value[1] === "" ? BUN_DEFAULT_REGISTRY : value[1] },
    pin: str(value[3]),
  };
}

export function readBunLock(rel: string, text: string): LockRead {
  const parsed = parseJsonLocated(rel, text, true);
  if (!parsed.ok) return { ok: false, error: parsed.error };
  const top = { line: 1, column: 1 };
  const data = parsed.value;
  if (!isObj(data) || typeof data.lockfileVersion !== "number")
    return lockError(rel, top, "not a bun.lock: no lockfileVersion");
  if (!VERSIONS.has(data.lockfileVersion))
    return lockError(rel, top, `lockfileVersion ${data.lockfileVersion} is not read: bun.lock 0 to 3 are`);
  if (!isObj(data.workspaces) || !isObj(data.packages))
    return lockError(rel, top, "not a bun.lock: no workspaces or packages object");
  const lock: JsLockfile = { kind: "bun", importers: new Map(), patterns: new Set(), packages: [] };
  const workspaceAt = keyPositions(text, "workspaces", Object.keys(data.workspaces));
  for (const [path, ws] of Object.entries(data.workspaces)) {
    const at = workspaceAt.get(path)!;
    if (!isObj(ws)) return lockError(rel, at, `workspaces.${JSON.stringify(path)} is not an object`);
    const sections: Partial<Record<DepSection, Record<string, string>>> = {};
    for (const s of DEP_SECTIONS) {
      const deps = ws[s] ?? {};
      if (!isObj(deps) || Object.values(deps).some((v) => typeof v !== "string"))
        return lockError(rel, at, `workspaces.${JSON.stringify(path)}.${s} is not a map of specs`);
      sections[s] = deps as Record<string, string>;
    }
    lock.importers!.set(path === "" ? "." : path, { at, by: "section", sections });
  }
  const packageAt = keyPositions(text, "packages", Object.keys(data.packages));
  for (const [key, value] of Object.entries(data.packages)) {
    const pkg = lockedPackage(key, value, packageAt.get(key)!);
    if (typeof pkg === "string") return lockError(rel, packageAt.get(key)!, pkg);
    lock.packages.push(pkg);
  }
  return { ok: true, lock };
}
