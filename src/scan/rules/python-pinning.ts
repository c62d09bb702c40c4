// Rules py-unpinned-requirement and py-missing-hash over requirements*.txt files.

import { finding } from "../finding.js";
import { isExactPin, parseRequirement } from "../python/pep508.js";
import type { Finding } from "../types.js";

interface LogicalLine {
  text: string;
  line: number;
}

/** Joins backslash continuations and drops comments, keeping the first physical line number. */
function logicalLines(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  let current: LogicalLine | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const body = raw.replace(/(^|\s)#.*$/, "");
    const continued = body.trimEnd().endsWith("\\");
    const piece = continued ? body.trimEnd().slice(0, -1) : body;
    current = current
      ? { text: `${current.text} ${piece}`, line: current.line }
      : { text: piece, line: i + 1 };
    if (!continued) {
      if (current.text.trim()) out.push({ text: current.text.trim(), line: current.line });
      current = undefined;
    }
  });
  if (current?.text.trim()) out.push({ text: current.text.trim(), line: current.line });
  return out;
}

/** Findings for one requirements file. Option lines (-r, -c, --index-url, …) are not requirements. */
export function checkRequirements(rel: string, text: string): Finding[] {
  const out: Finding[] = [];
  for (const { text: line, line: n } of logicalLines(text)) {
    const at = { line: n, column: 1 };
    const editable = /^(?:-e|--editable)(?:\s+|=|(?=[^\s=-]))(\S+)/.exec(line);
    if (editable) {
      const problem = editableProblem(editable[1]!);
      if (problem)
        out.push(finding("py-unpinned-requirement", rel, at, `editable install "${line}" ${problem}`));
      continue;
    }
    if (line.startsWith("-")) continue;
    const [spec = "", ...opts] = line.split(/\s+--/);
    const hasHash = opts.some((o) => o.startsWith("hash"));
    const req = parseRequirement(spec);
    if (!req || req.url !== undefined || /^[a-z+]+:\/\//i.test(spec)) {
      // pip cannot --hash a VCS checkout: a full commit hash is the pin. An archive URL's #sha256= is its hash.
      if (pinnedUrl(req?.url ?? spec.trim())) continue;
      out.push(
        finding(
          "py-unpinned-requirement",
          rel,
          at,
          `"${spec}" installs from a URL or path, not a pinned release`,
        ),
      );
      continue;
    }
    if (!isExactPin(req.specifier)) {
      const what = req.specifier ? `"${req.specifier}"` : "no version";
      out.push(
        finding("py-unpinned-requirement", rel, at, `${req.name} has ${what}; pin it with ==`, req.key),
      );
    }
    if (!hasHash) out.push(finding("py-missing-hash", rel, at, `${req.name} has no --hash`, req.key));
  }
  return out;
}

/** A `-r`/`--requirement` line: pip installs what the named file lists as if it were written here. */
export interface RequirementInclude {
  target: string;
  line: number;
}

/** The requirement files a requirements file includes (`-r f`, `-rf`, `--requirement f`, `--requirement=f`). */
export function requirementIncludes(text: string): RequirementInclude[] {
  const out: RequirementInclude[] = [];
  for (const { text: line, line: n } of logicalLines(text)) {
    const m = /^(?:-r|--requirement)(?:\s*=\s*|\s+|(?=[^\s=-]))(\S+)/.exec(line);
    if (m) out.push({ target: m[1]!, line: n });
  }
  return out;
}

/** A VCS URL at a full commit hash (`git+https://…@<40 hex>`), or a URL carrying its archive's sha256. */
function pinnedUrl(url: string): boolean {
  if (/^(?:git|hg)\+/i.test(url)) return /@[0-9a-f]{40}(?:#|$)/i.test(url);
  return /^https:\/\/\S+#sha256=[0-9a-f]{64}$/i.test(url);
}

/**
 * Why an editable target is not pinned, or null: a local path (`.`, `./pkg`) is the project's own code,
 * a VCS URL is pinned by a full commit hash (`git+https://…@<40 hex>#egg=x`), anything else is not.
 */
function editableProblem(target: string): string | null {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) return null;
  const vcs = /^(?:git|hg|svn|bzr)\+/i.test(target);
  if (vcs) return /@[0-9a-f]{40}(?:#|$)/i.test(target) ? null : "is not pinned to a full commit hash";
  return "installs from a URL, not a pinned release";
}
