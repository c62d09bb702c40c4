// What the scanner reads from a pnpm, Yarn or Bun lockfile, in one shape whichever package manager wrote it.

import type { Position } from "../location.js";
import type { FileError } from "../types.js";

/** A parsed JSON or YAML mapping, its values not yet checked. */
export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export type JsLockKind = "pnpm" | "yarn-classic" | "yarn-berry" | "bun";

/** Where a locked package is downloaded from. */
export type PackageSource =
  /** The registry configured at install time; the lockfile names no URL. */
  | { kind: "registry" }
  /** A URL the lockfile names: a registry tarball, another server's tarball, or a git repository. */
  | { kind: "remote"; url: string }
  /** The project's own files: a workspace, a `link:`/`portal:` or a `file:` folder or tarball. */
  | { kind: "local" };

export interface LockedPackage {
  name: string;
  version: string;
  /** Where its entry starts in the lockfile. */
  at: Position;
  source: PackageSource;
  /** What pins its content: an integrity hash, Yarn's checksum, or a full git commit; undefined when none. */
  pin: string | undefined;
  /** The lockfile says it runs an install script (pnpm 6.0 `requiresBuild`); undefined when it does not record it. */
  installScript?: boolean;
  /** Yarn Berry: a package for other platforms, whose checksum Yarn records only where it was fetched. */
  platformOnly?: boolean;
}

export const DEP_SECTIONS = ["dependencies", "devDependencies", "optionalDependencies"] as const;
export type DepSection = (typeof DEP_SECTIONS)[number];

/**
 * A project of the workspace as the lockfile records it: pnpm and Bun keep each package.json section with
 * the spec it was locked for (`by: "section"`); Yarn Berry merges dependencies, devDependencies and
 * optionalDependencies into one map (`by: "merged"`).
 */
export type LockedImporter =
  | { at: Position; by: "section"; sections: Partial<Record<DepSection, Record<string, string>>> }
  | { at: Position; by: "merged"; deps: Record<string, string> };

export interface JsLockfile {
  kind: JsLockKind;
  /**
   * The projects recorded, by folder relative to the lockfile's ("." for its own), or undefined when the
   * format records none (Yarn classic, which lists only the `name@range` patterns it resolved).
   */
  importers: Map<string, LockedImporter> | undefined;
  /** Yarn classic: every `name@range` pattern the lockfile resolves. */
  patterns: Set<string>;
  packages: LockedPackage[];
  /** pnpm `excludeLinksFromLockfile`: `link:` dependencies are left out of the importers. */
  linksExcluded?: boolean;
}

export type LockRead = { ok: true; lock: JsLockfile } | { ok: false; error: FileError };

/** A full 40-hex git commit, the pin of a git dependency that carries no integrity hash. */
export const FULL_COMMIT = /^[0-9a-f]{40}$/i;

/** A parse error at a position of the lockfile. */
export function lockError(file: string, at: Position, message: string): LockRead {
  return { ok: false, error: { file, ...at, kind: "parse", message } };
}

/** `name@rest` split at the `@` that ends the name (a scope's leading `@` is part of the name). */
export function splitNameAt(text: string): { name: string; rest: string } | undefined {
  const at = text.indexOf("@", 1);
  if (at <= 0) return undefined;
  return { name: text.slice(0, at), rest: text.slice(at + 1) };
}
