// What every sandbox runtime shares: the command spec, the sandbox's environment and /etc, the wrapper
// shell that starts the egress forwarder and applies rlimits, and spec validation.
import { constants as osConstants } from "node:os";
import { isAbsolute } from "node:path";
import { SandboxError } from "./errors.js";
import { DEFAULT_MAX_PROCESSES, type RunLimits, type Runner } from "./runner.js";

export interface CommandSpec {
  /** argv; argv[0] is looked up on the sandbox's PATH (/usr/local/bin:/usr/bin:/bin). */
  command: readonly string[];
  /** The whole environment besides PATH, HOME, TMPDIR, LANG and the proxy variables. */
  env?: Readonly<Record<string, string>>;
  stdin?: string | Uint8Array;
  limits?: RunLimits;
  /**
   * A host folder to use as /work (kept afterwards); default a fresh one, removed after the run. Under
   * bubblewrap with Warden as root it is handed to uid 65534, the host user bwrap then runs as.
   */
  workDir?: string;
}

/** The sandbox's writable folder and working directory. */
export const SANDBOX_WORK = "/work";
/** Where the egress proxy's socket appears inside a sandbox. */
export const SANDBOX_SOCKET = "/run/warden/proxy.sock";
/** Host folders a sandbox sees read-only (or as the same symlink), with /usr. */
export const SYSTEM_DIRS = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];
/** The only host files of /etc a sandbox sees, besides its own passwd, group and hosts. */
export const ETC_FILES = [
  "/etc/ld.so.cache",
  "/etc/ld.so.conf",
  "/etc/ld.so.conf.d",
  "/etc/alternatives",
  "/etc/ssl",
  "/etc/ca-certificates",
  "/etc/localtime",
];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const RESERVED_ENV = new Set(["PATH", "HOME", "TMPDIR"]);
export const SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin";
const PROXY_VARIABLES = ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"];

/**
 * A sandbox's whole environment: the spec's variables, the fixed PATH, HOME, TMPDIR and LANG, and with
 * an egress forwarder on `proxyPort` the proxy variables pointing at it.
 */
export function sandboxEnv(spec: CommandSpec, proxyPort: number | null): Record<string, string> {
  const env: Record<string, string> = {
    ...spec.env,
    PATH: SANDBOX_PATH,
    HOME: SANDBOX_WORK,
    TMPDIR: "/tmp",
    LANG: spec.env?.LANG ?? "C.UTF-8",
  };
  if (proxyPort !== null) {
    const url = `http://127.0.0.1:${proxyPort}`;
    for (const k of PROXY_VARIABLES) env[k] = url;
    env.NO_PROXY = "";
    env.no_proxy = "";
  }
  return env;
}

/** The files of a sandbox's own /etc: a passwd and group naming uid 65534, and localhost. */
export const SANDBOX_ETC: Readonly<Record<string, string>> = Object.freeze({
  passwd: "sandbox:x:65534:65534:sandbox:/work:/bin/sh\n",
  group: "sandbox:x:65534:\n",
  hosts: "127.0.0.1 localhost\n::1 localhost\n",
});

/** A long-running sandboxed process whose stdio the caller owns: what to spawn, and how to clean up after it. */
export interface WrappedCommand {
  command: string;
  args: string[];
  /** The environment to spawn `command` with (the sandbox's: secrets travel here, never in `args`). */
  env: Record<string, string>;
  cleanup(): void;
}

/** A runner of command tools in a sandbox (bubblewrap or gVisor): short runs, and long-running servers. */
export interface SandboxRunner extends Runner<CommandSpec> {
  /** The command line for a long-running process (an MCP server): the same sandbox, no wall-clock limit. */
  wrap(spec: CommandSpec): WrappedCommand;
}

/** Options every sandbox runtime takes. */
export interface SandboxRunnerOptions {
  /**
   * Host path of the egress proxy's Unix socket. When set, it is bound into the sandbox and a socat
   * forwarder makes it `http://127.0.0.1:<proxyPort>` inside (HTTP_PROXY/HTTPS_PROXY point there);
   * without it the sandbox has no network at all.
   */
  proxySocket?: string | null;
  /** Port of the forwarder inside the sandbox (default 3128). */
  proxyPort?: number;
  /** Extra host paths bound read-only at the same place (a tool's code, a data set). */
  readOnly?: readonly string[];
  /** Where fresh per-run work folders are made (default the OS temp folder). */
  workRoot?: string;
  /** Defaults for every run; a spec's own limits win. */
  limits?: RunLimits;
}

/** Checks the options every runtime shares; throws SANDBOX_INVALID. */
export function checkRunnerOptions(options: SandboxRunnerOptions): void {
  for (const p of options.readOnly ?? []) checkPath(p, "readOnly");
  if (options.proxySocket) checkPath(options.proxySocket, "proxySocket");
  if (options.workRoot) checkPath(options.workRoot, "workRoot");
  const port = options.proxyPort ?? 3128;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid("proxyPort must be 1–65535");
}

/** The shell that runs first inside: starts the proxy forwarder, waits until it listens, applies rlimits, execs. */
export function wrapperScript(port: number | null, limits: RunLimits): string {
  const lines: string[] = [];
  if (port !== null) {
    const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
    lines.push(
      `socat TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:${SANDBOX_SOCKET} </dev/null >/dev/null 2>&1 &`,
      "i=0",
      `while ! grep -q '0100007F:${hexPort} 00000000:0000 0A' /proc/net/tcp; do`,
      '  i=$((i+1)); if [ "$i" -gt 400 ]; then echo "warden: egress forwarder did not start" >&2; exit 125; fi',
      "  sleep 0.005",
      "done",
    );
  }
  const rl: string[] = [];
  if (limits.memoryBytes) rl.push(`--as=${Math.floor(limits.memoryBytes)}`);
  if (limits.cpuSeconds) {
    // Soft limit: SIGXCPU (reported as killed "cpu"); the hard one a second later is SIGKILL.
    const soft = Math.max(1, Math.ceil(limits.cpuSeconds));
    rl.push(`--cpu=${soft}:${soft + 1}`);
  }
  if (limits.fileSizeBytes) rl.push(`--fsize=${Math.floor(limits.fileSizeBytes)}`);
  const processes = Math.max(1, Math.floor(limits.processes ?? DEFAULT_MAX_PROCESSES));
  rl.push(`--nproc=${processes}:${processes}`);
  lines.push(`exec prlimit ${rl.join(" ")} -- "$@"`);
  return lines.join("\n");
}

export function validateSpec(spec: CommandSpec): void {
  if (!Array.isArray(spec.command) || spec.command.length === 0)
    throw invalid("command must be a non-empty argv");
  for (const c of spec.command) {
    if (typeof c !== "string" || c.includes("\0"))
      throw invalid("command arguments must be strings without NUL");
  }
  if (spec.command[0] === "") throw invalid("command[0] must not be empty");
  for (const [k, v] of Object.entries(spec.env ?? {})) {
    if (!ENV_NAME.test(k) || RESERVED_ENV.has(k))
      throw invalid(`environment variable name "${k.slice(0, 64)}" is not allowed`);
    if (typeof v !== "string" || v.includes("\0"))
      throw invalid(`environment variable ${k} must be a string without NUL`);
  }
  for (const [k, v] of Object.entries(spec.limits ?? {})) {
    if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v) || v <= 0)) {
      throw invalid(`limit ${k} must be a positive number`);
    }
  }
  if (spec.workDir !== undefined) checkPath(spec.workDir, "workDir");
}

export function checkPath(p: string, what: string): void {
  if (typeof p !== "string" || !isAbsolute(p) || p.includes("\0") || p === "/") {
    throw invalid(`${what} must be an absolute path other than /`);
  }
}

export function invalid(message: string): SandboxError {
  return new SandboxError("SANDBOX_INVALID", message);
}

/** SIGKILL to a pid (a negative one: a process group); a process already gone is fine. */
export function signal(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {}
}

/** bwrap and runsc exit 128+n when the command died of signal n. */
export function signalOf(code: number | null): string | null {
  if (code === null || code <= 128 || code > 128 + 64) return null;
  const n = code - 128;
  for (const [name, num] of Object.entries(osConstants.signals)) if (num === n) return name;
  return null;
}
