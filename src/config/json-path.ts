// JSON paths in configuration (`redact:`, `remember:`, detect `paths:`): $, .key, ["key"], [n], [*].

export type PathStep = { kind: "key"; key: string } | { kind: "index"; index: number } | { kind: "any" };

/** A key written after a dot; any other is quoted (the `.key` form parseJsonPath reads). */
const DOT_KEY = /^[A-Za-z0-9_$-]+$/;

/** The path of `key` in the object at `path`, as parseJsonPath reads it back: `$.to`, `$["a b"]`. */
export function keyPath(path: string, key: string): string {
  return DOT_KEY.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** The steps of `path`, or a string saying what is wrong with it. */
export function parseJsonPath(path: string): PathStep[] | string {
  if (!path.startsWith("$")) return `JSON path ${JSON.stringify(path)} must start with $`;
  const steps: PathStep[] = [];
  let i = 1;
  while (i < path.length) {
    const rest = path.slice(i);
    const dot = /^\.([A-Za-z0-9_$-]+)/.exec(rest);
    const quoted = /^\[\s*("(?:[^"\\]|\\.)*"|'[^'\\]*')\s*\]/.exec(rest);
    const index = /^\[\s*(0|[1-9][0-9]{0,8})\s*\]/.exec(rest);
    const any = /^\[\s*\*\s*\]/.exec(rest);
    if (dot) steps.push({ kind: "key", key: dot[1]! });
    else if (quoted) {
      const raw = quoted[1]!;
      const key = raw.startsWith("'") ? raw.slice(1, -1) : unquote(raw);
      if (key === null) return `bad quoted key in JSON path ${JSON.stringify(path)}`;
      steps.push({ kind: "key", key });
    } else if (index) steps.push({ kind: "index", index: Number(index[1]) });
    else if (any) steps.push({ kind: "any" });
    else
      return `bad JSON path ${JSON.stringify(path)} at character ${i + 1} (use $, .key, ["key"], [n] or [*])`;
    const matched = dot ?? quoted ?? index ?? any;
    i += matched![0].length;
  }
  return steps;
}

function unquote(raw: string): string | null {
  try {
    const v: unknown = JSON.parse(raw);
    return typeof v === "string" ? v : null;
  } catch {
    return null;
  }
}

/**
 * A test of whether a concrete path (as detectors report them: `$.to[0]`, `$["a b"]`, `$.to#key` for a
 * key of the object at `$.to`) lies at or below one of `patterns`; `[*]` matches any key or index.
 */
export function pathScope(patterns: readonly string[]): (path: string) => boolean {
  const compiled = patterns.map(parseJsonPath).filter((p): p is PathStep[] => typeof p !== "string");
  return (path) => {
    const steps = parseJsonPath(path.endsWith("#key") ? path.slice(0, -4) : path);
    if (typeof steps === "string") return false;
    return compiled.some(
      (pattern) => pattern.length <= steps.length && pattern.every((p, i) => stepMatches(p, steps[i]!)),
    );
  };
}

function stepMatches(pattern: PathStep, step: PathStep): boolean {
  if (pattern.kind === "any") return step.kind !== "any";
  if (pattern.kind === "key") return step.kind === "key" && step.key === pattern.key;
  return step.kind === "index" && step.index === pattern.index;
}
