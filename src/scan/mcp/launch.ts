// Reads which package an MCP launch command runs (npx, pnpm dlx, bunx, uvx, pipx, docker) and whether it is pinned.

import { basename } from "node:path";
import { classifySpec } from "../rules/npm-pinning.js";

export interface LaunchedPackage {
  runner: string;
  spec: string;
  pinned: boolean;
}

const NPX_VALUE_FLAGS = new Set(["-p", "--package", "-c", "--call", "--registry", "--cache", "--userconfig"]);
const DOCKER_VALUE_FLAGS = new Set([
  "-e",
  "--env",
  "-v",
  "--volume",
  "--name",
  "-p",
  "--publish",
  "--network",
  "--env-file",
  "-w",
  "--workdir",
  "-u",
  "--user",
  "--mount",
  "--entrypoint",
  "--label",
  "-l",
  "--platform",
  "-m",
  "--memory",
  "--cpus",
  "--pull",
  "--add-host",
  "--cap-add",
  "--cap-drop",
  "-h",
  "--hostname",
  "--restart",
  "--gpus",
  "--ulimit",
  "--tmpfs",
  "--device",
  "--security-opt",
  "--log-driver",
  "--log-opt",
  "--shm-size",
  "--ipc",
  "--pid",
  "--dns",
  "--expose",
  "--label-file",
  "--cidfile",
  "--stop-signal",
  "--health-cmd",
]);

/** The first positional argument, skipping flags (and the values of flags that take one). */
function positional(
  args: readonly string[],
  valueFlags: ReadonlySet<string>,
): { value?: string; flags: Map<string, string> } {
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") return { value: args[i + 1], flags };
    if (!a.startsWith("-")) return { value: a, flags };
    const eq = a.indexOf("=");
    if (eq > 0) flags.set(a.slice(0, eq), a.slice(eq + 1));
    else if (valueFlags.has(a)) flags.set(a, args[++i] ?? "");
  }
  return { flags };
}

function npmSpec(runner: string, args: readonly string[]): LaunchedPackage | undefined {
  const { value, flags } = positional(args, NPX_VALUE_FLAGS);
  const spec = flags.get("--package") ?? flags.get("-p") ?? value;
  if (!spec || spec.startsWith(".") || spec.startsWith("/")) return undefined;
  const at = spec.lastIndexOf("@");
  const name = at > 0 ? spec.slice(0, at) : spec;
  const version = at > 0 ? spec.slice(at + 1) : "";
  return { runner, spec, pinned: classifySpec(name, version || "latest").kind === "exact" };
}

function pySpec(runner: string, args: readonly string[]): LaunchedPackage | undefined {
  const { value, flags } = positional(args, new Set(["--from", "--with", "--python", "-p", "--spec"]));
  const spec = flags.get("--from") ?? flags.get("--spec") ?? value;
  if (!spec) return undefined;
  const pinned = /^[A-Za-z0-9._-]+(?:\[[^\]]*\])?(?:===?|@)[\w.!+-]+$/.test(spec) && !/@latest$/i.test(spec);
  return { runner, spec, pinned };
}

function dockerSpec(args: readonly string[]): LaunchedPackage | undefined {
  if (args[0] !== "run") return undefined;
  const { value } = positional(args.slice(1), DOCKER_VALUE_FLAGS);
  if (!value) return undefined;
  const lastPart = value.split("/").pop() ?? value;
  const pinned = value.includes("@sha256:") || (lastPart.includes(":") && !lastPart.endsWith(":latest"));
  return { runner: "docker", spec: value, pinned };
}

/** Wrappers a launch goes through at most: `cmd /c`, `sh -c`, `env` each unwrap one. */
const MAX_WRAPPERS = 4;

/** The package a server command launches, or undefined when it runs a local program. */
export function launchedPackage(
  command: string,
  args: readonly string[],
  depth = 0,
): LaunchedPackage | undefined {
  // A whole command line in `command` with no args (`"command": "npx -y pkg"`) is read as its words.
  const line = args.length === 0 && /\s/.test(command.trim()) ? words(command) : undefined;
  const inner = depth < MAX_WRAPPERS ? (line ?? unwrapped(command, args)) : undefined;
  if (inner)
    return inner.command === undefined ? undefined : launchedPackage(inner.command, inner.args, depth + 1);
  const cmd = basename(command).replace(/\.(cmd|exe)$/i, "");
  if (cmd === "npx" || cmd === "bunx" || cmd === "pnpx") return npmSpec(cmd, args);
  if ((cmd === "pnpm" || cmd === "yarn") && args[0] === "dlx") return npmSpec(`${cmd} dlx`, args.slice(1));
  if (cmd === "npm" && (args[0] === "exec" || args[0] === "x")) return npmSpec("npm exec", args.slice(1));
  if (cmd === "bun" && args[0] === "x") return npmSpec("bun x", args.slice(1));
  if (cmd === "uvx") return pySpec(cmd, args);
  if (cmd === "uv" && args[0] === "tool" && args[1] === "run") return pySpec("uv tool run", args.slice(2));
  if (cmd === "pipx" && args[0] === "run") return pySpec("pipx run", args.slice(1));
  if (cmd === "docker" || cmd === "podman") return dockerSpec(args);
  return undefined;
}

/**
 * The command a wrapper runs: `cmd /c npx pkg` (Windows configs), `sh -c "npx pkg"` or `bash -lc "…"`
 * (its first command), `env FOO=1 npx pkg`. Undefined when `command` is no wrapper; `{}` when the wrapped
 * command cannot be read. A wrapper must not hide an unpinned package.
 */
function unwrapped(
  command: string,
  args: readonly string[],
): { command?: string; args: string[] } | undefined {
  const cmd = basename(command)
    .replace(/\.exe$/i, "")
    .toLowerCase();
  if (cmd === "cmd") {
    const at = args.findIndex((a) => /^\/[ck]$/i.test(a));
    return at < 0 ? undefined : words(args.slice(at + 1).join(" "));
  }
  if (["sh", "bash", "zsh", "dash", "ash"].includes(cmd)) {
    const at = args.findIndex((a) => /^-[a-z]*c[a-z]*$/.test(a));
    return at < 0 ? undefined : words(args[at + 1] ?? "");
  }
  if (cmd === "env") {
    const rest = [...args];
    while (rest.length > 0 && (rest[0]!.startsWith("-") || /^[A-Za-z_]\w*=/.test(rest[0]!))) {
      const flag = rest.shift()!;
      if (flag === "-u" || flag === "--unset" || flag === "-C" || flag === "--chdir") rest.shift();
    }
    return { command: rest[0], args: rest.slice(1) };
  }
  return undefined;
}

/** The first simple command of a shell line, as words: assignments and `exec` before it skipped, quotes removed. */
function words(line: string): { command?: string; args: string[] } {
  const tokens: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(&&|\|\||[;|&])|([^\s"';|&]+)/g)) {
    if (m[3] !== undefined) break;
    tokens.push(m[1] ?? m[2] ?? m[4] ?? "");
  }
  while (tokens.length > 0 && (/^[A-Za-z_]\w*=/.test(tokens[0]!) || tokens[0] === "exec")) tokens.shift();
  return { command: tokens[0], args: tokens.slice(1) };
}
