// Reads uv.lock, poetry.lock and Pipfile.lock into what the Python lock rules need: names, sources, hashes.

import { parseJsonLocated } from "../jsonc.js";
import { LineIndex, type Position } from "../location.js";
import type { FileError } from "../types.js";
import { normalizeName } from "./pep508.js";
import { readToml, type Table } from "./toml.js";

export interface PyLockedPackage {
  name: string;
  version: string;
  at: Position;
  /** A release or archive the installer downloads, which only a hash pins (not a git commit or local path). */
  needsHash: boolean;
  hashed: boolean;
}

export interface PyLock {
  rel: string;
  kind: "uv" | "poetry" | "pipfile";
  /** Every locked name, normalised. */
  names: Set<string>;
  /** uv: the project's own requirements as locked (`requires-dist`, `requires-dev`), normalised. */
  requiresDist?: Set<string>;
  /** Pipfile.lock: the names locked in each section (`default`, `develop`, a category). */
  sections?: Map<string, Set<string>>;
  packages: PyLockedPackage[];
}

export type PyLockRead = { ok: true; lock: PyLock } | { ok: false; error: FileError };

const table = (v: unknown): Table =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Table) : {};
const isTable = (v: unknown): v is Table => typeof v === "object" && v !== null && !Array.isArray(v);
const fail = (rel: string, at: Position, message: string): PyLockRead => ({
  ok: false,
  error: { file: rel, ...at, kind: "parse", message },
});
const TOP: Position = { line: 1, column: 1 };

/** Where each `[[package]]`'s `name = "…"` line is, in file order (a missing one is line 1). */
function packageLines(text: string, names: string[]): Position[] {
  const lines = new LineIndex(text);
  let cursor = 0;
  return names.map((name) => {
    const i = text.indexOf(`\nname = ${JSON.stringify(name)}`, cursor);
    if (i < 0) return TOP;
    cursor = i + 1;
    return lines.at(i + 1);
  });
}

/** The `[[package]]` tables of a TOML lockfile, each with a string `name`, or the error of the first that is not. */
function packageTables(
  rel: string,
  data: Table,
  text: string,
): { tables: Table[]; at: Position[] } | PyLockRead {
  const raw = data.package ?? [];
  if (!Array.isArray(raw) || !raw.every(isTable))
    return fail(rel, TOP, "`package` is not an array of tables");
  const bad = raw.findIndex((p) => typeof p.name !== "string");
  const at = packageLines(
    text,
    raw.map((p) => String(p.name)),
  );
  if (bad >= 0) return fail(rel, TOP, `package ${bad + 1} has no name`);
  return { tables: raw, at };
}

const hasHash = (files: unknown): boolean =>
  Array.isArray(files) && files.some((f) => typeof table(f).hash === "string" && table(f).hash !== "");

/**
 * uv.lock (lock `version = 1`). A registry or URL package is hashed when its sdist or a wheel carries a
 * hash; git sources are pinned by the commit uv records, and editable, virtual, directory and path sources
 * are the project's own files.
 */
export function readUvLock(rel: string, text: string): PyLockRead {
  const parsed = readToml(rel, text);
  if (!parsed.ok) return parsed;
  const version = parsed.data.version;
  if (typeof version !== "number") return fail(rel, TOP, "not a uv.lock: no version");
  if (version !== 1) return fail(rel, TOP, `uv.lock version ${version} is not read (version 1 is)`);
  const pkgs = packageTables(rel, parsed.data, text);
  if ("ok" in pkgs) return pkgs;
  const lock: PyLock = { rel, kind: "uv", names: new Set(), packages: [] };
  pkgs.tables.forEach((p, i) => {
    const name = String(p.name);
    lock.names.add(normalizeName(name));
    const source = table(p.source);
    if (source.editable === "." || source.virtual === ".") {
      const meta = table(p.metadata);
      const reqs: unknown[] = Array.isArray(meta["requires-dist"]) ? [...meta["requires-dist"]] : [];
      for (const group of Object.values(table(meta["requires-dev"])))
        if (Array.isArray(group)) reqs.push(...group);
      lock.requiresDist = new Set(reqs.map((r) => normalizeName(String(table(r).name))));
    }
    const downloaded = "registry" in source || "url" in source;
    const hashed = typeof table(p.sdist).hash === "string" || hasHash(p.wheels);
    lock.packages.push({
      name,
      version: String(p.version ?? ""),
      at: pkgs.at[i]!,
      needsHash: downloaded,
      hashed,
    });
  });
  return { ok: true, lock };
}

/**
 * poetry.lock (lock-version 1.x keeps file hashes under `[metadata.files]`, 2.x on each package). A package
 * from PyPI, a private index (`legacy`) or a URL needs them; git, directory and local-file sources do not.
 */
export function readPoetryLock(rel: string, text: string): PyLockRead {
  const parsed = readToml(rel, text);
  if (!parsed.ok) return parsed;
  const metadata = table(parsed.data.metadata);
  const lockVersion = metadata["lock-version"];
  if (typeof lockVersion !== "string") return fail(rel, TOP, "not a poetry.lock: no [metadata] lock-version");
  if (!/^[12]\./.test(lockVersion))
    return fail(rel, TOP, `poetry.lock lock-version ${lockVersion} is not read (1.x and 2.x are)`);
  const pkgs = packageTables(rel, parsed.data, text);
  if ("ok" in pkgs) return pkgs;
  const legacyFiles = table(metadata.files);
  const legacyKeyed = new Map(Object.entries(legacyFiles).map(([k, v]) => [normalizeName(k), v]));
  const lock: PyLock = { rel, kind: "poetry", names: new Set(), packages: [] };
  pkgs.tables.forEach((p, i) => {
    const name = String(p.name);
    lock.names.add(normalizeName(name));
    const type = table(p.source).type;
    const downloaded = type === undefined || type === "legacy" || type === "url";
    const files = "files" in p ? p.files : legacyKeyed.get(normalizeName(name));
    lock.packages.push({
      name,
      version: String(p.version ?? ""),
      at: pkgs.at[i]!,
      needsHash: downloaded,
      hashed: hasHash(files),
    });
  });
  return { ok: true, lock };
}

/** Where each entry of a Pipfile.lock section starts, found in order after the section's own key. */
function entryLines(text: string, section: string, names: string[]): Position[] {
  const lines = new LineIndex(text);
  let cursor = Math.max(0, text.indexOf(`${JSON.stringify(section)}: {`));
  return names.map((name) => {
    const i = text.indexOf(`${JSON.stringify(name)}: {`, cursor);
    if (i < 0) return TOP;
    cursor = i + 1;
    return lines.at(i);
  });
}

/**
 * Pipfile.lock (JSON, `_meta` and one object per section: `default`, `develop`, and any category). An
 * entry installed from an index or a file URL needs `hashes`; `git`, `path` and `editable` ones do not.
 */
export function readPipfileLock(rel: string, text: string): PyLockRead {
  const parsed = parseJsonLocated(rel, text);
  if (!parsed.ok) return parsed;
  const data = parsed.value;
  if (!isTable(data) || !isTable(data._meta)) return fail(rel, TOP, "not a Pipfile.lock: no _meta object");
  const lock: PyLock = { rel, kind: "pipfile", names: new Set(), sections: new Map(), packages: [] };
  for (const [section, entries] of Object.entries(data)) {
    if (section === "_meta") continue;
    if (!isTable(entries) || !Object.values(entries).every(isTable))
      return fail(rel, TOP, `section "${section}" is not an object of package entries`);
    const names = Object.keys(entries);
    const at = entryLines(text, section, names);
    const locked = new Set<string>();
    names.forEach((name, i) => {
      const e = entries[name] as Table;
      locked.add(normalizeName(name));
      lock.names.add(normalizeName(name));
      const local = "git" in e || "path" in e || e.editable === true;
      const hashed = Array.isArray(e.hashes) && e.hashes.some((h) => typeof h === "string" && h !== "");
      const version = typeof e.version === "string" ? e.version.replace(/^==/, "") : "";
      lock.packages.push({ name, version, at: at[i]!, needsHash: !local, hashed });
    });
    lock.sections!.set(section, locked);
  }
  return { ok: true, lock };
}
