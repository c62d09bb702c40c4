// Tool and agent name globs: `*` is any run of characters, `?` one character, the rest literal.

/** Characters a glob may hold besides `*` and `?`. Anything else is refused so a typo cannot widen a rule. */
const LITERAL = /^[A-Za-z0-9_.:/@-]$/;

/** Why `glob` is not a valid glob, or null when it is. */
export function globProblem(glob: string): string | null {
  if (glob.length === 0) return "empty glob";
  for (const ch of glob) {
    if (ch !== "*" && ch !== "?" && !LITERAL.test(ch)) {
      return `bad glob ${JSON.stringify(glob)}: character ${JSON.stringify(ch)} is not allowed (use letters, digits, _ . : / @ - and the wildcards * ?)`;
    }
  }
  return null;
}

/** The anchored RegExp source of one (valid) glob. */
function globSource(glob: string): string {
  let out = "";
  for (const ch of glob) {
    if (ch === "*") out += out.endsWith(".*") ? "" : ".*";
    else if (ch === "?") out += ".";
    else out += ch.replace(/[.\\/^$+(){}[\]|-]/g, "\\$&");
  }
  return out;
}

/**
 * Compiles globs into one matcher (true when any glob matches the whole name). Compiled once, so the
 * hot path is a single RegExp test. Throws on a bad glob: the loader validates globs before this.
 * @example
 * const isGithub = compileGlobs(["github__*", "gh_?"]);
 * isGithub("github__create_issue"); // true
 */
export function compileGlobs(globs: readonly string[]): (name: string) => boolean {
  for (const glob of globs) {
    const problem = globProblem(glob);
    if (problem !== null) throw new Error(problem);
  }
  if (globs.length === 0) return () => false;
  if (globs.includes("*")) return () => true;
  if (globs.every((g) => !g.includes("*") && !g.includes("?"))) {
    const exact = new Set(globs);
    return (name) => exact.has(name);
  }
  const re = new RegExp(`^(?:${globs.map(globSource).join("|")})$`, "s");
  return (name) => re.test(name);
}

/** `text` as a regular expression matching exactly it. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
