// The fenced code blocks of the README and docs, with the annotation that says how the snippet test treats each.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Snippet {
  /** Repository-relative file and the 1-based line of the opening fence. */
  file: string;
  line: number;
  lang: string;
  text: string;
  /**
   * From an HTML comment on the line before the fence: `<!-- snippet: skip — why -->` (not run; the
   * reason is required), `<!-- snippet: repo -->` (a shell snippet run from the repository root),
   * `<!-- snippet: policy -->` (a JSON block that is a policy). Null: none.
   */
  mark: { kind: "skip" | "repo" | "policy"; reason: string } | null;
}

const MARK = /^<!--\s*snippet:\s*(skip|repo|policy)\b\s*(?:[—–-]\s*)?(.*?)\s*-->$/;

/** README.md, docs/*.md and each examples/ folder's README.md. */
export function documentationFiles(root: string): string[] {
  const docs = readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => join(root, "docs", f));
  const examples = readdirSync(join(root, "examples"), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(root, "examples", d.name, "README.md"));
  return [join(root, "README.md"), ...docs.sort(), ...examples.sort(), join(root, "python", "README.md")];
}

export function snippetsOf(root: string, path: string): Snippet[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w*)/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.trimStart().startsWith("```")) end++;
    let prev = start - 1;
    while (prev >= 0 && lines[prev]!.trim() === "") prev--;
    const m = prev >= 0 ? MARK.exec(lines[prev]!.trim()) : null;
    const indent = open[1]!.length;
    out.push({
      file: relative(root, path),
      line: start + 1,
      lang: open[2] ?? "",
      text: lines
        .slice(start + 1, end)
        .map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))
        .join("\n"),
      mark: m ? { kind: m[1] as "skip" | "repo" | "policy", reason: m[2] ?? "" } : null,
    });
    i = end;
  }
  return out;
}

const SHELL = new Set(["sh", "bash", "shell"]);

/** The shell snippets of the docs that run here (not marked skip). */
export function runnableShellSnippets(root: string): Snippet[] {
  return documentationFiles(root)
    .filter(existsSync)
    .flatMap((file) => snippetsOf(root, file))
    .filter((s) => SHELL.has(s.lang) && s.mark?.kind !== "skip");
}

/**
 * Runs a shell snippet with bash, the `warden` in `binDir` first on the PATH: in a fresh folder after that
 * warden's `init`, or from the repository root when marked `repo` (with WARDEN_DIR in a temporary folder,
 * so nothing is written under the checkout's .warden).
 */
export async function runShellSnippet(
  root: string,
  s: Snippet,
  binDir: string,
  tempDir: () => string,
): Promise<{ code: number; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${binDir}:${process.env.PATH}`,
    npm_config_offline: "true",
    NO_COLOR: "1",
  };
  let cwd = root;
  if (s.mark?.kind === "repo") env.WARDEN_DIR = tempDir();
  else {
    cwd = tempDir();
    await run(join(binDir, "warden"), ["init"], { cwd, env });
  }
  const result = await run("bash", ["-euo", "pipefail", "-c", s.text], { cwd, env, timeout: 120_000 }).catch(
    (err: { code?: number; stderr?: string }) => err,
  );
  return "code" in result
    ? { code: typeof result.code === "number" ? result.code : 1, stderr: result.stderr ?? "" }
    : { code: 0, stderr: String(result.stderr) };
}
