// The rule catalogue: every rule id `warden scan` can report, with why it exists and how to fix it.

import type { Severity } from "./types.js";

export interface RuleInfo {
  id: string;
  severity: Severity;
  title: string;
  why: string;
  fix: string;
}

const rule = (id: string, severity: Severity, title: string, why: string, fix: string): RuleInfo => ({
  id,
  severity,
  title,
  why,
  fix,
});

export const RULES: readonly RuleInfo[] = [
  rule(
    "npm-unpinned-dependency",
    "high",
    "npm dependency not pinned to an exact version",
    "A range, tag or `latest` lets the next install pull a version nobody reviewed; a hijacked maintainer account then ships straight into the agent.",
    "Pin the exact version (`npm install --save-exact pkg@1.2.3`, or `save-exact=true` in .npmrc), or allow-list it with a suppression (`package:`) that gives a reason and an expiry.",
  ),
  rule(
    "npm-non-registry-dependency",
    "high",
    "npm dependency from git, a URL or a local path",
    "git, tarball-URL and file specs bypass the registry's integrity and provenance: what is installed depends on whatever the remote serves today.",
    "Depend on a published registry version pinned exactly, or allow-list the spec with a suppression (`package:`) that gives a reason and an expiry.",
  ),
  rule(
    "npm-lockfile-missing",
    "high",
    "package.json without a lockfile",
    "Without a lockfile every install resolves the whole tree afresh, so transitive versions and their integrity hashes are never fixed.",
    "Run the project's package manager (`npm install`, `pnpm install`, `yarn install`, `bun install`) and commit the lockfile it writes; install with `npm ci`, `pnpm install --frozen-lockfile`, `yarn install --immutable` (classic: `--frozen-lockfile`) or `bun install --frozen-lockfile` in CI.",
  ),
  rule(
    "npm-lockfile-out-of-sync",
    "high",
    "lockfile does not match package.json",
    "A lockfile that disagrees with package.json means `npm ci` (or a frozen-lockfile install) fails, or what runs is not what was reviewed.",
    "Run the package manager's install to bring the lockfile in line with package.json, review the diff and commit both.",
  ),
  rule(
    "npm-missing-integrity",
    "high",
    "locked package without an integrity hash",
    "Without an integrity hash (or, for a git dependency, a full commit) the package manager cannot check that what it downloads is what was locked.",
    "Delete the entry (or node_modules and the lockfile) and reinstall against the registry so the lockfile records the sha512 hash.",
  ),
  rule(
    "npm-untrusted-registry",
    "high",
    "locked package resolved from another registry",
    "A tarball URL or git repository outside the configured registry can point at a look-alike mirror that serves different code.",
    "Reinstall from the configured registry (`registry=` in .npmrc or `registry:` in .warden-scan.yaml) and commit the new lockfile.",
  ),
  rule(
    "npm-install-script",
    "medium",
    "dependency with an install script nobody reviewed",
    "preinstall/install/postinstall scripts run arbitrary code on every developer and CI machine at install time.",
    "Review the script, then record the decision: `npm install-scripts approve PKG` or `npm install-scripts deny PKG` (package.json `allowScripts`); with pnpm, `pnpm.onlyBuiltDependencies` (or `neverBuiltDependencies`) records it too.",
  ),
  rule(
    "py-unpinned-requirement",
    "high",
    "Python requirement not pinned with ==",
    "A range or a bare name installs whatever version the index offers at install time.",
    "Pin with `==` (e.g. generate requirements with `uv pip compile --generate-hashes` or `pip-compile --generate-hashes`).",
  ),
  rule(
    "py-missing-hash",
    "medium",
    "Python requirement or locked package without a hash",
    "Without hashes pip (or uv, Poetry, pipenv) trusts whatever file the index serves for that version.",
    "Generate requirements with `--generate-hashes` so every line carries `--hash=sha256:…` and install with `pip install --require-hashes`; for a lockfile, lock against an index that publishes hashes and re-run `uv lock`, `poetry lock` or `pipenv lock`.",
  ),
  rule(
    "py-lockfile-missing",
    "high",
    "pyproject.toml or Pipfile with dependencies but no lockfile",
    "Without uv.lock, poetry.lock or Pipfile.lock the resolved dependency tree is not fixed.",
    "Run `uv lock` (or `poetry lock`, `pipenv lock`) and commit the lockfile.",
  ),
  rule(
    "py-lockfile-out-of-sync",
    "high",
    "Python lockfile does not match pyproject.toml or Pipfile",
    "A dependency declared in pyproject.toml (or a Pipfile) but absent from the lock (or locked with other requirements) means the lock was not regenerated.",
    "Run `uv lock` (or `poetry lock`, `pipenv lock`) and commit the result.",
  ),
  rule(
    "code-shell-exec",
    "high",
    "shell command built from non-literal input",
    "`child_process.exec*`, `spawn(…, { shell: true })`, `os.system` or `subprocess.*(…, shell=True)` with a computed command lets an agent's input become shell syntax (command injection). A shell function passed on as a value (`cmds.forEach(execSync)`, `map(os.system, cmds)`) is flagged too: whatever receives it picks the command.",
    "Run a fixed program with an argument array and no shell (`execFile('git', ['log', ref])`, `subprocess.run(['git', 'log', ref])`), and validate the arguments.",
  ),
  rule(
    "code-dynamic-eval",
    "high",
    "code evaluated from non-literal input",
    "`eval`, `new Function`, `vm.*` or Python `eval`/`exec` with computed code runs whatever a model or a tool argument supplies. An evaluator passed on as a value (`inputs.map(eval)`) is flagged too: whatever receives it picks the code.",
    "Parse data instead of evaluating it (JSON.parse, ast.literal_eval), or run untrusted code only in Warden's sandbox.",
  ),
  rule(
    "code-dynamic-module",
    "medium",
    "module loaded by a name that is not a literal",
    "`require(x)`, `import(x)`, `createRequire(…)(x)`, Python `importlib.import_module(x)` or `__import__(x)` with a computed name can load `child_process` or `os` out of sight of the shell and eval rules, or whatever module an input names.",
    'Load modules by literal name (`import { execFile } from "node:child_process"`, `import subprocess`); to choose among plugins, map fixed names to modules in a table. If the name is truly data (a path resolved at run time), suppress with the reason.',
  ),
  rule(
    "code-tool-arg-file-write",
    "high",
    "tool writes or deletes a file whose path comes from its arguments",
    "A model chooses tool arguments; a path from them can overwrite or delete anything the process can reach (path traversal).",
    "Resolve the path under a fixed base directory and reject results outside it, or restrict the argument to an allow-list; then suppress with the reason.",
  ),
  rule(
    "code-tool-dynamic-url",
    "medium",
    "tool makes a network call to a non-literal URL",
    "A URL whose host is computed inside a tool lets a model or an injected prompt send data anywhere (exfiltration, SSRF).",
    `Keep the origin literal (\`https://api.example.com/\${path}\`), check computed URLs against an allow-list, or run the tool behind Warden's egress proxy.`,
  ),
  rule(
    "code-tool-bypasses-warden",
    "high",
    "agent tool registered without going through Warden",
    "A tool whose function is not wrapped by `session.guard()`/`@guarded` and not handed to a Warden adapter runs with no policy, approval or ledger record.",
    "Wrap the function (`execute: session.guard('name', fn)`) or pass the tools to the adapter from `agent-warden/ai-sdk`, `agent-warden/openai-agents`, `agent-warden/langchain` or `agent-warden/mcp`.",
  ),
  rule(
    "secret-hardcoded",
    "critical",
    "hard-coded credential",
    "A credential in the source tree ends up in git history, logs and every clone; agents can read and leak it.",
    "Revoke the credential, remove it from the code (and history), and read it from the environment or Warden's secrets broker.",
  ),
  rule(
    "mcp-unpinned-server",
    "high",
    "MCP server launched from an unpinned package",
    "`npx some-server` (or uvx, or a `:latest` image) runs whatever version is newest at launch, with the agent's privileges.",
    "Pin the version in the launch command (`npx -y some-server@1.2.3`, `uvx some-server==1.2.3`, an image digest).",
  ),
  rule(
    "mcp-inline-secret",
    "critical",
    "MCP server config with an inline secret",
    "MCP client configs are copied, shared and committed; a token in `env`, `args` or `headers` leaks with them.",
    `Reference the secret instead of inlining it (\`\${env:NAME}\`, VS Code \`\${input:…}\`), or let Warden's secrets broker inject it.`,
  ),
  rule(
    "mcp-insecure-transport",
    "high",
    "MCP server reached over plain HTTP",
    "An `http://` (or `ws://`) server URL to a host other than loopback sends the server's credentials (Authorization headers, tokens in the URL) and every tool call and result in clear text: anyone on the network path can read them, or rewrite the tool results and descriptions the model acts on.",
    "Use `https://` (or `wss://`) for a server on another machine; plain `http://` is fine only on loopback (`localhost`, `127.0.0.0/8`, `[::1]`).",
  ),
  rule(
    "mcp-tool-poisoning",
    "critical",
    "MCP tool description carries hidden instructions",
    "Tool descriptions go straight into the model's context; hidden tags, 'ignore previous instructions', requests to read credentials or invisible Unicode steer the agent (tool poisoning).",
    "Do not use the server, or pin a reviewed version whose tool descriptions are clean; Warden's MCP gateway applies the same check.",
  ),
  rule(
    "mcp-probe-failed",
    "low",
    "MCP server could not be probed",
    "`--probe` could not start the server or list its tools, so its tool descriptions were not checked.",
    "Check the command, its arguments and environment; run the server by hand to see its error.",
  ),
  rule(
    "suppression-expired",
    "medium",
    "suppression past its expiry date",
    "Suppressions are temporary by design; an expired one no longer hides its finding and must be reviewed.",
    "Fix the finding and delete the suppression, or review it and move `expires:` forward with an updated reason.",
  ),
];

const byId = new Map(RULES.map((r) => [r.id, r]));

export function ruleInfo(id: string): RuleInfo | undefined {
  return byId.get(id);
}

/** The `--explain RULE` text. */
export function explainRule(id: string): string | undefined {
  const r = byId.get(id);
  if (!r) return undefined;
  return `${r.id} (${r.severity}): ${r.title}\n\nWhy: ${r.why}\n\nFix: ${r.fix}\n`;
}
