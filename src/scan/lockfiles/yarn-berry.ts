// Reads a Yarn Berry (2 and later) yarn.lock: YAML, one entry per resolved package, workspaces among them.

import {
  FULL_COMMIT,
  isObj,
  type JsLockfile,
  type LockedPackage,
  type LockRead,
  lockError,
  type PackageSource,
  splitNameAt,
} from "./model.js";
import { readYamlDocs } from "./yaml-entries.js";

/**
 * Where a resolution (`name@npm:1.2.3`, `name@patch:name@npm%3A1.2.3#…`, `name@https://…`) comes from, and
 * the commit a git resolution names. A `patch:` is its patched package's source; `npm:` is the registry,
 * unless Yarn recorded the tarball's own URL (`::__archiveUrl=`), which it does when the registry's
 * conventional one is not it.
 */
function resolutionSource(reference: string): { source: PackageSource; commit?: string } {
  const [locator = "", params = ""] = reference.split("::");
  if (locator.startsWith("patch:")) {
    let decoded: string | undefined;
    try {
      decoded = decodeURIComponent(locator.slice(6).replace(/#.*$/, ""));
    } catch {
      // A malformed escape: the patched package cannot be told, so it is not taken for a registry one.
    }
    const inner = decoded === undefined ? undefined : splitNameAt(decoded);
    return inner ? resolutionSource(inner.rest) : { source: { kind: "remote", url: locator } };
  }
  if (locator.startsWith("npm:")) {
    const archive = new URLSearchParams(params).get("__archiveUrl");
    return { source: archive ? { kind: "remote", url: archive } : { kind: "registry" } };
  }
  if (/^(?:workspace|link|portal|file|exec):/.test(locator)) return { source: { kind: "local" } };
  const commit = /[#&]commit=([0-9a-f]{40})\b/i.exec(locator)?.[1];
  return commit
    ? { source: { kind: "remote", url: locator }, commit }
    : { source: { kind: "remote", url: locator } };
}

export function readYarnBerryLock(rel: string, text: string): LockRead {
  const read = readYamlDocs(rel, text);
  if ("error" in read) return { ok: false, error: read.error };
  if (read.docs.length !== 1)
    return lockError(rel, { line: 1, column: 1 }, "a yarn.lock is one YAML document");
  const doc = read.docs[0]!;
  const metaVersion = doc.getIn(["__metadata", "version"]);
  if (typeof metaVersion !== "number" || metaVersion < 4)
    return lockError(rel, read.keyAt(doc, "__metadata"), "not a Yarn Berry lockfile: no __metadata.version");
  const lock: JsLockfile = { kind: "yarn-berry", importers: new Map(), patterns: new Set(), packages: [] };
  for (const entry of read.entries(doc, null)) {
    if (entry.key === "__metadata") continue;
    const e = entry.value;
    const resolution = isObj(e) ? e.resolution : undefined;
    const split = typeof resolution === "string" ? splitNameAt(resolution) : undefined;
    if (!isObj(e) || !split) return lockError(rel, entry.at, `"${entry.key}" has no resolution`);
    if (split.rest.startsWith("workspace:")) {
      const deps = isObj(e.dependencies) ? e.dependencies : {};
      const merged = Object.fromEntries(Object.entries(deps).map(([k, v]) => [k, String(v)]));
      lock.importers!.set(split.rest.slice("workspace:".length), {
        at: entry.at,
        by: "merged",
        deps: merged,
      });
      continue;
    }
    const { source, commit } = resolutionSource(split.rest);
    const checksum = typeof e.checksum === "string" ? e.checksum : undefined;
    const pkg: LockedPackage = {
      name: split.name,
      version: String(e.version ?? ""),
      at: entry.at,
      source: e.linkType === "soft" ? { kind: "local" } : source,
      pin: checksum ?? (commit && FULL_COMMIT.test(commit) ? commit : undefined),
    };
    // Yarn writes a checksum only for what it fetched: another platform's binary package has none.
    if (typeof e.conditions === "string") pkg.platformOnly = true;
    lock.packages.push(pkg);
  }
  return { ok: true, lock };
}
