// `path.clean(p)`, `path.within(p, root)` and `glob(p, pattern)`: file paths compared as the kernel resolves them lexically.
import { posix } from "node:path";
import { CelScalar, celFunc } from "@bufbuild/cel";
import picomatch from "picomatch";

const MAX_INPUT = 4096;

/**
 * Go's path.Clean: one slash between names, `.` dropped, `..` resolved lexically (never above `/`), no
 * trailing slash; "" is ".". A NUL byte (which would cut the path short in the tool) is an error.
 */
export function cleanPath(p: string): string {
  if (p.length > MAX_INPUT) throw new Error("path: too long");
  if (p.includes("\u0000")) throw new Error("path: a NUL byte");
  if (p === "") return ".";
  const cleaned = posix.normalize(p);
  if (cleaned.length > 1 && cleaned.endsWith("/")) return cleaned.slice(0, -1);
  return cleaned;
}

/**
 * Whether `p` is `root` or below it once both are cleaned. A relative path is never within an absolute
 * root (its base is the tool's working directory, which the policy does not know), and a relative path
 * that climbs out (`../x`) is within nothing.
 */
export function pathWithin(p: string, root: string): boolean {
  const path = cleanPath(p);
  const base = cleanPath(root);
  if (path.startsWith("/") !== base.startsWith("/")) return false;
  if (path === ".." || path.startsWith("../")) return false;
  // Both absolute or both relative by now: "/" and "." hold every such path.
  if (base === "/" || base === ".") return true;
  return path === base || path.startsWith(`${base}/`);
}

const cache = new Map<string, (p: string) => boolean>();

/**
 * Shell-style glob over the cleaned path: `*` and `?` stay within one name, `**` spans names, dot files
 * match like any other. `/data/**` therefore does not match `/data/../etc/passwd`.
 */
export function globMatch(p: string, pattern: string): boolean {
  let matcher = cache.get(pattern);
  if (matcher === undefined) {
    if (pattern.length > MAX_INPUT) throw new Error("glob: pattern too long");
    matcher = picomatch(pattern, { dot: true, nobrace: false, noextglob: true });
    if (cache.size >= 1_000) cache.clear();
    cache.set(pattern, matcher);
  }
  return matcher(cleanPath(p));
}

export const pathFuncs = [
  celFunc("path.clean", [CelScalar.STRING], CelScalar.STRING, cleanPath),
  celFunc("path.within", [CelScalar.STRING, CelScalar.STRING], CelScalar.BOOL, pathWithin),
  celFunc("glob", [CelScalar.STRING, CelScalar.STRING], CelScalar.BOOL, globMatch),
];
