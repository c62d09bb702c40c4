// Reads a Yarn classic (v1) yarn.lock: Yarn's own indented syntax, read line by line and strictly.

import type { Position } from "../location.js";
import {
  FULL_COMMIT,
  type JsLockfile,
  type LockRead,
  lockError,
  type PackageSource,
  splitNameAt,
} from "./model.js";

type Value = string | boolean | Block;
interface Block {
  [key: string]: Value;
}

/** One line of the syntax: `key, key:` opens a block; `key value` sets a value. */
interface Line {
  keys: string[];
  value: string | boolean | undefined;
}

/** A quoted (JSON) or bare token at `i`, with where it ends. */
function token(text: string, i: number): { value: string; end: number; quoted: boolean } | string {
  if (text[i] === '"') {
    let j = i + 1;
    while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
    if (j >= text.length) return "a quoted string does not close";
    try {
      return { value: JSON.parse(text.slice(i, j + 1)) as string, end: j + 1, quoted: true };
    } catch {
      return "a quoted string has an invalid escape";
    }
  }
  const bare = /^[^\s:,"]+/.exec(text.slice(i))?.[0];
  return bare ? { value: bare, end: i + bare.length, quoted: false } : "expected a key or a value";
}

function parseLine(text: string): Line | string {
  const keys: string[] = [];
  let i = 0;
  for (;;) {
    const t = token(text, i);
    if (typeof t === "string") return t;
    keys.push(t.value);
    i = t.end;
    while (text[i] === " ") i++;
    if (text[i] !== ",") break;
    i++;
    while (text[i] === " ") i++;
  }
  if (text[i] === ":")
    return text.slice(i + 1).trim() === "" ? { keys, value: undefined } : "text after a colon";
  if (keys.length !== 1 || i === 0 || text[i - 1] !== " ") return "expected `key value` or `key:`";
  const v = token(text, i);
  if (typeof v === "string") return v;
  if (text.slice(v.end).trim() !== "") return "text after a value";
  const value = !v.quoted && (v.value === "true" || v.value === "false") ? v.value === "true" : v.value;
  return { keys, value };
}

/** The file as nested blocks, each top-level entry with the line it starts on; or an error at its line. */
function parseBlocks(
  rel: string,
  text: string,
): { entries: { keys: string[]; block: Block; at: Position }[] } | LockRead {
  const entries: { keys: string[]; block: Block; at: Position }[] = [];
  // Blocks without a prototype, so a package named "constructor" or "__proto__" is just a key.
  const stack: Block[] = [Object.create(null) as Block];
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    const at = { line: n + 1, column: 1 };
    if (raw.trim() === "" || raw.trimStart().startsWith("#")) continue;
    if (/^(?:<{7}|={7}|>{7})/.test(raw))
      return lockError(rel, at, "git merge conflict markers: resolve them and run yarn install");
    const indent = /^ */.exec(raw)![0].length;
    if (raw[indent] === "\t") return lockError(rel, at, "indented with a tab");
    if (indent % 2 !== 0) return lockError(rel, at, "indented by an odd number of spaces");
    const depth = indent / 2;
    if (depth > stack.length - 1) return lockError(rel, at, "indented deeper than the block it is in");
    stack.length = depth + 1;
    const line = parseLine(raw.slice(indent));
    if (typeof line === "string") return lockError(rel, { line: n + 1, column: indent + 1 }, line);
    const parent = stack[depth]!;
    for (const key of line.keys)
      if (Object.hasOwn(parent, key)) return lockError(rel, at, `"${key}" is there twice`);
    if (line.value === undefined) {
      const block = Object.create(null) as Block;
      for (const key of line.keys) parent[key] = block;
      stack.push(block);
      if (depth === 0) entries.push({ keys: line.keys, block, at: { line: n + 1, column: indent + 1 } });
    } else {
      if (depth === 0) return lockError(rel, at, "a value outside any entry");
      parent[line.keys[0]!] = line.value;
    }
  }
  return { entries };
}

function source(keys: string[], resolved: string | undefined): PackageSource {
  const spec = splitNameAt(keys[0]!)?.rest ?? "";
  if (/^(?:file|link):/.test(resolved ?? spec)) return { kind: "local" };
  if (resolved === undefined) return { kind: "registry" };
  return { kind: "remote", url: resolved.replace(/#.*$/, "") };
}

export function readYarnClassicLock(rel: string, text: string): LockRead {
  const parsed = parseBlocks(rel, text);
  if ("ok" in parsed) return parsed;
  const lock: JsLockfile = { kind: "yarn-classic", importers: undefined, patterns: new Set(), packages: [] };
  for (const { keys, block, at } of parsed.entries) {
    const name = splitNameAt(keys[0]!)?.name;
    if (name === undefined) return lockError(rel, at, `"${keys[0]}" is not a name@range pattern`);
    const { version, resolved, integrity } = block;
    if (typeof version !== "string") return lockError(rel, at, `"${keys[0]}" has no version`);
    if (resolved !== undefined && typeof resolved !== "string")
      return lockError(rel, at, `"${keys[0]}" has a resolved that is not a URL`);
    for (const key of keys) lock.patterns.add(key);
    // A tarball's `#<sha1>` (Yarn checks it when there is no integrity) or a git URL's `#<commit>` pins it.
    const fragment = resolved?.includes("#") ? resolved.slice(resolved.indexOf("#") + 1) : undefined;
    const pin =
      typeof integrity === "string"
        ? integrity
        : fragment && FULL_COMMIT.test(fragment)
          ? fragment
          : undefined;
    lock.packages.push({ name, version, at, source: source(keys, resolved), pin });
  }
  return { ok: true, lock };
}
