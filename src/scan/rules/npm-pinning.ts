// Rules npm-unpinned-dependency and npm-non-registry-dependency: every package.json spec must be an exact version.

import npa from "npm-package-arg";
import { finding } from "../finding.js";
import { positionOf } from "../location.js";
import { DEP_SECTIONS } from "../lockfiles/model.js";
import type { Finding } from "../types.js";

export { DEP_SECTIONS };

export type Manifest = Record<string, unknown>;

/** The dependency map of one section, keeping only string specs. */
export function depsOf(manifest: Manifest, section: string): Record<string, string> {
  const deps = manifest[section];
  if (typeof deps !== "object" || deps === null) return {};
  return Object.fromEntries(
    Object.entries(deps).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
}

type SpecKind = "exact" | "unpinned" | "non-registry";

/** Classifies a spec the way npm reads it: exact version, range/tag, or not from the registry at all. */
export function classifySpec(name: string, spec: string): { kind: SpecKind; what: string } {
  let parsed: ReturnType<typeof npa.resolve>;
  try {
    parsed = npa.resolve(name, spec);
  } catch {
    return { kind: "non-registry", what: "a spec npm cannot read from the registry" };
  }
  const target = parsed.type === "alias" && parsed.subSpec ? parsed.subSpec : parsed;
  switch (target.type) {
    case "version":
      return { kind: "exact", what: "an exact version" };
    case "tag":
      return { kind: "unpinned", what: `the tag "${target.rawSpec || "latest"}"` };
    case "range":
      return { kind: "unpinned", what: `the range "${target.rawSpec || "*"}"` };
    case "git":
      return { kind: "non-registry", what: "a git repository" };
    case "remote":
      return { kind: "non-registry", what: "a tarball URL" };
    default:
      return { kind: "non-registry", what: "a local path" };
  }
}

/** Pinning findings for one package.json (`rel` is its path, `text` its content). */
export function checkPinning(rel: string, text: string, manifest: Manifest): Finding[] {
  const out: Finding[] = [];
  for (const section of DEP_SECTIONS) {
    const sectionAt = text.indexOf(`"${section}"`);
    for (const [name, spec] of Object.entries(depsOf(manifest, section))) {
      const { kind, what } = classifySpec(name, spec);
      if (kind === "exact") continue;
      const at = positionOf(text, `"${name}"`, Math.max(sectionAt, 0));
      const rule = kind === "unpinned" ? "npm-unpinned-dependency" : "npm-non-registry-dependency";
      out.push(
        finding(rule, rel, at, `${section}.${name} is "${spec}": ${what}, not an exact version`, name),
      );
    }
  }
  return out;
}
