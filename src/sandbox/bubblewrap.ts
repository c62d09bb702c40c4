// Runs a command inside bubblewrap: no network but the egress proxy, read-only system, one writable work folder, limits.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import type { Readable } from "node:stream";
import {
  type CommandSpec,
  checkRunnerOptions,
  ETC_FILES,
  SANDBOX_ETC,
  SANDBOX_SOCKET,
  SANDBOX_WORK,
  type SandboxRunner,
  type SandboxRunnerOptions,
  SYSTEM_DIRS,
  sandboxEnv,
  signal,
  validateSpec,
  type WrappedCommand,
  wrapperScript,
} from "./command.js";
import { SandboxError } from "./errors.js";
import type { RunHandle, RunLimits, RunResult } from "./runner.js";
import { seccompAvailable, seccompFilter } from "./seccomp.js";
import { watchProcess } from "./watch.js";

export interface BubblewrapOptions extends SandboxRunnerOptions {
  /** The bwrap executable (default `bwrap` on PATH). */
  bwrap?: string;
  /**
   * Run the command under the seccomp filter of seccomp.ts (default true). Only a benchmark that
   * measures the filter's cost turns it off.
   */
  seccomp?: boolean;
}

/** The BPF program in a run's control folder (not secret), opened as bwrap's fd 4 for --seccomp. */
const SECCOMP_FILE = "seccomp.bpf";
const SPAWNER_VARIABLES = ["LOGNAME", "SHELL", "TERM", "USER", "USERNAME"];
/**
 * The host user bwrap runs as when Warden is root. bwrap maps the sandbox's uid 65534 onto the uid that
 * starts it: started by root, the tool would be the host's root (without capabilities, but the owner of
 * every root file: /proc/sys settings such as kernel.core_pattern, root-only keys under /etc/ssl).
 */
const HOST_SANDBOX_ID = 65534;
const SETPRIV = "/usr/bin/setpriv";

/** True when bwrap must first give up root (Warden runs as root). */
function dropsRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Runs commands in bubblewrap. Each run gets new user, PID, network, IPC, UTS and cgroup namespaces
 * (uid 65534 inside, no capabilities), read-only /usr and the system library folders, a minimal /etc,
 * a private tmpfs /tmp, and a writable /work; nothing else of the host (no /root, /home, or the
 * Warden folder) exists inside. Started by root, bwrap first becomes the host's uid 65534, so that the
 * sandbox's uid is not the host's root. The network namespace has only loopback: the egress proxy's socket
 * is the single way out. Limits: wall clock (the whole tree is killed), RLIMIT_AS/CPU/FSIZE through
 * prlimit, output caps. kill() ends the run's PID namespace, so every process in it dies at once.
 *
 * @example
 * const proxy = new EgressProxy({ allow: ["api.example.com"], listen: { socketPath: "/run/w/ses_1.sock" } });
 * await proxy.start();
 * const runner = new BubblewrapRunner({ proxySocket: "/run/w/ses_1.sock", limits: { timeoutMs: 10_000 } });
 * const r = await runner.run({ command: ["curl", "-s", "https://api.example.com/"] });
 */
export class BubblewrapRunner implements SandboxRunner {
  readonly #o: BubblewrapOptions;
  readonly #running = new Set<RunHandle>();
  readonly #seccomp: boolean;

  constructor(options: BubblewrapOptions = {}) {
    checkRunnerOptions(options);
    this.#o = options;
    this.#seccomp = options.seccomp ?? true;
  }

  /** True when bwrap and socat can be run here and the seccomp filter can be built. */
  static available(options: Pick<BubblewrapOptions, "bwrap"> = {}): boolean {
    const ok = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
    const bwrap = options.bwrap ?? "bwrap";
    // As root, bwrap must be able to make its user namespace as the unprivileged host user.
    const started = dropsRoot()
      ? ok(SETPRIV, [...setprivArgs(), bwrap, "--unshare-user", "--ro-bind", "/", "/", "true"])
      : ok(bwrap, ["--version"]);
    return started && ok("socat", ["-V"]) && seccompAvailable();
  }

  run(spec: CommandSpec): Promise<RunResult> {
    return this.start(spec).done;
  }

  /** Kills every run in progress. */
  kill(reason: string): void {
    for (const h of [...this.#running]) h.kill(reason);
  }

  /**
   * The bwrap command line for a long-running process whose stdio the caller owns (an MCP server the
   * gateway talks to): the same sandbox as `start`, without output capture or a wall-clock limit.
   * Kill it by killing bwrap: `--die-with-parent` takes the whole namespace with it.
   */
  wrap(spec: CommandSpec): WrappedCommand {
    validateSpec(spec);
    const { control, work, cleanup } = this.#folders(spec);
    const limits = { ...this.#o.limits, ...spec.limits };
    const args = this.#args(limits, control, work, false, spec);
    const env = this.#env(spec);
    // The caller's spawner cannot change user: setpriv gives root up before bwrap starts.
    let argv = [this.#bwrapPath(), ...args];
    if (dropsRoot()) {
      if (!existsSync(SETPRIV)) {
        cleanup();
        throw new SandboxError("SANDBOX_UNAVAILABLE", `${SETPRIV} is required to run bwrap as root`);
      }
      argv = [SETPRIV, ...setprivArgs(), ...argv];
    }
    if (!this.#seccomp) return { command: argv[0]!, args: argv.slice(1), env, cleanup };
    // The caller's spawner passes only stdio, so a shell opens the filter as bwrap's fd 4.
    return {
      command: "/bin/sh",
      args: ["-c", 'f=$1; shift; exec "$@" 4<"$f"', "warden-bwrap", join(control, SECCOMP_FILE), ...argv],
      env,
      cleanup,
    };
  }

  start(spec: CommandSpec): RunHandle {
    validateSpec(spec);
    const limits = { ...this.#o.limits, ...spec.limits };
    const { control, work, cleanup } = this.#folders(spec);
    const args = this.#args(limits, control, work, true, spec);
    let child: ChildProcess;
    let filter: number | null = null;
    try {
      if (this.#seccomp) filter = openSync(join(control, SECCOMP_FILE), "r");
      child = spawn(this.#bwrapPath(), args, {
        stdio: ["pipe", "pipe", "pipe", "pipe", filter ?? "ignore"],
        detached: true,
        env: this.#env(spec),
        // libuv drops the supplementary groups too.
        ...(dropsRoot() ? { uid: HOST_SANDBOX_ID, gid: HOST_SANDBOX_ID } : {}),
      });
    } catch (err) {
      cleanup();
      throw new SandboxError("SANDBOX_UNAVAILABLE", "could not start bwrap", {
        code: (err as NodeJS.ErrnoException).code ?? null,
      });
    } finally {
      if (filter !== null) closeSync(filter);
    }
    return this.#watch(child, spec, limits, cleanup);
  }

  /** The run's control folder (passwd, group, hosts) and its work folder, and how to remove them. */
  #folders(spec: CommandSpec): { control: string; work: string; cleanup: () => void } {
    const root = this.#o.workRoot ?? tmpdir();
    const filter = this.#seccomp ? seccompFilter() : null;
    let control: string;
    let work: string;
    try {
      control = mkdtempSync(join(root, "warden-sbx-"));
      work = spec.workDir ?? mkdtempSync(join(root, "warden-work-"));
      for (const [name, text] of Object.entries(SANDBOX_ETC)) {
        writeFileSync(join(control, name), text, { mode: 0o644 });
      }
      if (filter !== null) writeFileSync(join(control, SECCOMP_FILE), filter);
      if (dropsRoot()) {
        // bwrap, no longer root, binds the /etc files (nothing secret) and the work folder.
        chmodSync(control, 0o755);
        chownSync(work, HOST_SANDBOX_ID, HOST_SANDBOX_ID);
        if (this.#o.proxySocket) shareSocketFolder(this.#o.proxySocket);
      }
    } catch (err) {
      if (err instanceof SandboxError) throw err;
      throw new SandboxError("SANDBOX_UNAVAILABLE", "could not prepare the sandbox folders", {
        code: (err as NodeJS.ErrnoException).code ?? null,
      });
    }
    const cleanup = () => {
      rmSync(control, { recursive: true, force: true });
      if (!spec.workDir) rmSync(work, { recursive: true, force: true });
    };
    return { control, work, cleanup };
  }

  #watch(child: ChildProcess, spec: CommandSpec, limits: RunLimits, cleanup: () => void): RunHandle {
    let nsInit: number | null = null;
    const info = child.stdio[3] as Readable;
    const watched = watchProcess(child, {
      program: "bwrap",
      spec,
      limits,
      cleanup,
      running: this.#running,
      // The namespace's init first: when it dies the kernel kills every process of the namespace.
      killTree: () => {
        if (nsInit !== null) signal(nsInit);
        if (child.pid !== undefined) signal(-child.pid);
      },
      onExit: () => info.destroy(),
    });
    let infoText = "";
    info.on("data", (c: Buffer) => {
      infoText += c.toString("utf8");
      const m = /"child-pid"\s*:\s*(\d+)/.exec(infoText);
      if (m && nsInit === null) {
        nsInit = Number(m[1]);
        if (watched.killedReason() !== null) signal(nsInit);
      }
    });
    info.on("error", () => undefined);
    return watched.handle;
  }

  /**
   * The bwrap executable: an absolute path, since bwrap's own environment is the sandbox's (whose PATH
   * is not the host's). A bare name is looked up on the host PATH once.
   */
  #bwrapPath(): string {
    const name = this.#o.bwrap ?? "bwrap";
    if (isAbsolute(name)) return name;
    for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(":")) {
      if (dir !== "" && existsSync(join(dir, name))) return join(dir, name);
    }
    return name;
  }

  /**
   * The sandbox's whole environment, given to the bwrap process itself (no --clearenv, no --setenv):
   * bwrap passes its environment on to the command, and a value there is readable only through
   * /proc/PID/environ (the owner and root), never through /proc/PID/cmdline like an argument.
   */
  #env(spec: CommandSpec): Record<string, string> {
    return sandboxEnv(spec, this.#o.proxySocket ? (this.#o.proxyPort ?? 3128) : null);
  }

  #args(limits: RunLimits, control: string, work: string, infoFd: boolean, spec: CommandSpec): string[] {
    const own = this.#env(spec);
    const a = [
      "--unshare-all",
      "--unshare-user",
      "--uid",
      "65534",
      "--gid",
      "65534",
      "--cap-drop",
      "ALL",
      "--die-with-parent",
      "--new-session",
      "--hostname",
      "sandbox",
      ...(infoFd ? ["--info-fd", "3"] : []),
      ...(this.#seccomp ? ["--seccomp", "4"] : []),
      // Variables a spawner adds on its own (the MCP SDK adds the user's LOGNAME, SHELL, TERM, USER).
      ...SPAWNER_VARIABLES.filter((k) => !(k in own)).flatMap((k) => ["--unsetenv", k]),
      "--ro-bind",
      "/usr",
      "/usr",
    ];
    for (const d of SYSTEM_DIRS) {
      const host = `/${d}`;
      let st: ReturnType<typeof lstatSync> | null = null;
      try {
        st = lstatSync(host);
      } catch {}
      if (st?.isSymbolicLink()) a.push("--symlink", readlinkSync(host), host);
      else if (st?.isDirectory()) a.push("--ro-bind", host, host);
    }
    a.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", "/etc");
    for (const f of ETC_FILES) if (existsSync(f)) a.push("--ro-bind", f, f);
    for (const f of ["passwd", "group", "hosts"]) a.push("--ro-bind", join(control, f), `/etc/${f}`);
    // The work folder first: a read-only path below /work (a checkout there) must not be hidden by it.
    a.push("--bind", work, SANDBOX_WORK, "--chdir", SANDBOX_WORK);
    for (const p of this.#o.readOnly ?? []) a.push("--ro-bind", p, p);
    const port = this.#o.proxyPort ?? 3128;
    if (this.#o.proxySocket) {
      a.push("--dir", "/run/warden", "--ro-bind", this.#o.proxySocket, SANDBOX_SOCKET);
    }
    // The sandbox's own root (a tmpfs holding the mount points) read-only too: only /work and /tmp take writes.
    a.push("--remount-ro", "/");
    a.push("--", "/bin/sh", "-c", wrapperScript(this.#o.proxySocket ? port : null, limits), "warden-sandbox");
    a.push(...spec.command);
    return a;
  }
}

/** setpriv's arguments that make the rest of its command line run as the unprivileged sandbox user. */
function setprivArgs(): string[] {
  const id = String(HOST_SANDBOX_ID);
  return ["--reuid", id, "--regid", id, "--clear-groups", "--"];
}

/**
 * Lets bwrap, run as the sandbox user, bind the proxy socket: its folder (which must be 0700, this
 * user's) is handed to that user, and the socket made connectable. No other user can enter the folder.
 */
function shareSocketFolder(socketPath: string): void {
  const folder = dirname(socketPath);
  const st = statSync(folder);
  if ((st.mode & 0o077) !== 0 || (st.uid !== 0 && st.uid !== HOST_SANDBOX_ID)) {
    throw new SandboxError(
      "SANDBOX_INVALID",
      "proxySocket must be in a folder only this user can enter (0700)",
    );
  }
  chownSync(folder, HOST_SANDBOX_ID, HOST_SANDBOX_ID);
  // Not there yet for wrap() before the proxy starts: the proxy then creates it with its own mode.
  try {
    chmodSync(socketPath, 0o666);
  } catch {}
}
