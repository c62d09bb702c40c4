// Runs a command under gVisor (runsc): a user-space kernel between the tool and the host, the same file
// view, network, limits and kill behaviour as the bubblewrap runner.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
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
import { watchProcess } from "./watch.js";

export interface GvisorOptions extends SandboxRunnerOptions {
  /** The runsc executable (default `runsc` on PATH). */
  runsc?: string;
}

/** Each run's folder (bundle, runsc state, /etc files) is named after the Warden process that made it. */
const RUN_PREFIX = "warden-gvisor-";
const RUN_FOLDER = /^warden-gvisor-(\d+)-/;
/** The sandbox user: the work folder Warden makes for a run belongs to it. */
const SANDBOX_UID = 65534;

/**
 * Runs commands under gVisor's runsc (ptrace platform, no KVM needed; runsc needs root). Each run is an
 * OCI container whose root is an empty read-only folder with /usr, the system library folders and a
 * minimal /etc bound read-only from the host, a private tmpfs /tmp, and a writable /work; runsc's
 * `--network=none` leaves loopback only, and the egress proxy's socket (bound in, `--host-uds=open`) is
 * the single way out. The command's every system call goes to gVisor's kernel, not the host's.
 * Limits, output caps and the kill behave as in BubblewrapRunner: kill() SIGKILLs runsc's process group
 * (the sandbox dies with its runsc parent), and `setpriv --pdeathsig` ties runsc to this process, so a
 * crashed Warden takes its runs with it; `cleanLeftovers()` removes what such a crash left on disk.
 * Environment values (secrets) reach the container through its OCI spec, a 0600 file in a 0700 folder
 * removed with the run, never through a command line.
 *
 * @example
 * const runner = new GvisorRunner({ proxySocket: "/run/w/ses_1.sock", limits: { timeoutMs: 10_000 } });
 * const r = await runner.run({ command: ["curl", "-s", "https://api.example.com/"] });
 */
export class GvisorRunner implements SandboxRunner {
  readonly #o: GvisorOptions;
  readonly #running = new Set<RunHandle>();

  constructor(options: GvisorOptions = {}) {
    checkRunnerOptions(options);
    this.#o = options;
  }

  /** True when runsc can be run here (as root) and socat exists for the egress forwarder. */
  static available(options: Pick<GvisorOptions, "runsc"> = {}): boolean {
    const ok = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
    return process.getuid?.() === 0 && ok(options.runsc ?? "runsc", ["--version"]) && ok("socat", ["-V"]);
  }

  /**
   * Removes what runs of Warden processes that no longer exist left under `root` (default the OS temp
   * folder): their containers are killed and deleted in runsc's state, their processes killed, their
   * folders removed. Returns how many run folders were cleaned.
   */
  static cleanLeftovers(options: Pick<GvisorOptions, "runsc" | "workRoot"> = {}): number {
    const root = options.workRoot ?? tmpdir();
    let cleaned = 0;
    let names: string[];
    try {
      names = readdirSync(root);
    } catch {
      return 0;
    }
    for (const name of names) {
      const owner = RUN_FOLDER.exec(name);
      if (!owner || processAlive(Number(owner[1]))) continue;
      const dir = join(root, name);
      stopContainers(options.runsc ?? "runsc", join(dir, "state"));
      for (const pid of processesMentioning(join(dir, "state"))) signal(pid);
      rmSync(dir, { recursive: true, force: true });
      cleaned++;
    }
    return cleaned;
  }

  run(spec: CommandSpec): Promise<RunResult> {
    return this.start(spec).done;
  }

  /** Kills every run in progress. */
  kill(reason: string): void {
    for (const h of [...this.#running]) h.kill(reason);
  }

  /**
   * The command line for a long-running process whose stdio the caller owns (an MCP server): the same
   * sandbox as `start`, without output capture or a wall-clock limit. Kill runsc to stop it.
   */
  wrap(spec: CommandSpec): WrappedCommand {
    validateSpec(spec);
    const limits = { ...this.#o.limits, ...spec.limits };
    const run = this.#prepare(spec, limits);
    const [command, ...args] = run.argv;
    return {
      command: command!,
      args,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      cleanup: run.cleanup,
    };
  }

  start(spec: CommandSpec): RunHandle {
    validateSpec(spec);
    const limits = { ...this.#o.limits, ...spec.limits };
    const run = this.#prepare(spec, limits);
    let child: ChildProcess;
    try {
      const [command, ...args] = run.argv;
      child = spawn(command!, args, {
        stdio: ["pipe", "pipe", "pipe"],
        detached: true,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      });
    } catch (err) {
      run.cleanup();
      throw new SandboxError("SANDBOX_UNAVAILABLE", "could not start runsc", {
        code: (err as NodeJS.ErrnoException).code ?? null,
      });
    }
    return this.#watch(child, spec, limits, run.state, run.cleanup);
  }

  /** Writes the run's bundle (root folder, /etc files, OCI spec) and returns runsc's argv and the cleanup. */
  #prepare(spec: CommandSpec, limits: RunLimits): { argv: string[]; state: string; cleanup: () => void } {
    if (this.#o.proxySocket) shareSocket(this.#o.proxySocket);
    const root = this.#o.workRoot ?? tmpdir();
    const runsc = this.#o.runsc ?? "runsc";
    let dir: string;
    let work: string;
    const id = `warden-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    try {
      dir = mkdtempSync(join(root, `${RUN_PREFIX}${process.pid}-`));
      chmodSync(dir, 0o700);
      work = spec.workDir ?? mkdtempSync(join(root, "warden-work-"));
      if (!spec.workDir) chownSync(work, SANDBOX_UID, SANDBOX_UID);
      const rootfs = join(dir, "rootfs");
      mkdirSync(join(rootfs, "etc"), { recursive: true });
      mkdirSync(join(rootfs, "run", "warden"), { recursive: true });
      mkdirSync(join(dir, "state"));
      for (const [name, text] of Object.entries(SANDBOX_ETC)) writeFileSync(join(dir, name), text);
      const mounts = this.#mounts(rootfs, dir, work);
      const port = this.#o.proxySocket ? (this.#o.proxyPort ?? 3128) : null;
      const env = sandboxEnv(spec, port);
      const config = {
        ociVersion: "1.0.0",
        process: {
          terminal: false,
          user: { uid: SANDBOX_UID, gid: SANDBOX_UID },
          args: ["/bin/sh", "-c", wrapperScript(port, limits), "warden-sandbox", ...spec.command],
          env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
          cwd: SANDBOX_WORK,
          noNewPrivileges: true,
          capabilities: { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] },
        },
        root: { path: rootfs, readonly: true },
        hostname: "sandbox",
        mounts,
        linux: {
          namespaces: ["pid", "network", "ipc", "uts", "mount"].map((type) => ({ type })),
        },
      };
      writeFileSync(join(dir, "config.json"), JSON.stringify(config), { mode: 0o600 });
    } catch (err) {
      throw new SandboxError("SANDBOX_UNAVAILABLE", "could not prepare the gVisor bundle", {
        code: (err as NodeJS.ErrnoException).code ?? null,
      });
    }
    const state = join(dir, "state");
    const runscArgs = [
      runsc,
      `--root=${state}`,
      "--network=none",
      "--host-uds=open",
      "--ignore-cgroups",
      "run",
      `--bundle=${dir}`,
      id,
    ];
    // Ties runsc to this process: a Warden that dies takes runsc (and so the sandbox) with it.
    const argv = existsSync("/usr/bin/setpriv")
      ? ["/usr/bin/setpriv", "--pdeathsig", "KILL", "--", ...runscArgs]
      : runscArgs;
    // The state folder is this run's alone: once no process of it is left, removing the folder is all
    // `runsc delete` would do (and asking runsc costs a process start per call).
    const cleanup = () => {
      for (const pid of processesMentioning(state)) signal(pid);
      rmSync(dir, { recursive: true, force: true });
      if (!spec.workDir) rmSync(work, { recursive: true, force: true });
    };
    return { argv, state, cleanup };
  }

  /** The container's file system: the host's system folders read-only, /etc files, /tmp, /work, the proxy socket. */
  #mounts(rootfs: string, dir: string, work: string): object[] {
    const bind = (source: string, destination: string, rw = false) => ({
      destination,
      type: "bind",
      source,
      options: ["rbind", rw ? "rw" : "ro"],
    });
    const mounts: object[] = [
      { destination: "/proc", type: "proc", source: "proc" },
      { destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev"] },
      bind("/usr", "/usr"),
    ];
    for (const d of SYSTEM_DIRS) {
      const host = `/${d}`;
      let st: ReturnType<typeof lstatSync> | null = null;
      try {
        st = lstatSync(host);
      } catch {}
      if (st?.isSymbolicLink()) symlinkSync(readlinkSync(host), join(rootfs, d));
      else if (st?.isDirectory()) mounts.push(bind(host, host));
    }
    for (const f of ETC_FILES) if (existsSync(f)) mounts.push(bind(f, f));
    for (const f of Object.keys(SANDBOX_ETC)) mounts.push(bind(join(dir, f), `/etc/${f}`));
    mounts.push(bind(work, SANDBOX_WORK, true));
    for (const p of this.#o.readOnly ?? []) mounts.push(bind(p, p));
    if (this.#o.proxySocket) mounts.push(bind(this.#o.proxySocket, SANDBOX_SOCKET));
    return mounts;
  }

  #watch(
    child: ChildProcess,
    spec: CommandSpec,
    limits: RunLimits,
    state: string,
    cleanup: () => void,
  ): RunHandle {
    return watchProcess(child, {
      program: "runsc",
      spec,
      limits,
      cleanup,
      running: this.#running,
      // runsc and its gofer share the process group; the sandbox has its own session and would die with
      // runsc only once the kernel delivers its parent-death signal, so it is killed directly as well.
      killTree: () => {
        if (child.pid !== undefined) signal(-child.pid);
        for (const pid of processesMentioning(state)) signal(pid);
      },
    }).handle;
  }
}

/**
 * gVisor's kernel checks the socket's mode for the sandbox user (uid 65534, not mapped to the owner as
 * under bubblewrap's user namespace), so the proxy socket is made connectable by everyone; that is safe
 * only inside a folder no other user can enter, which is required.
 */
function shareSocket(socketPath: string): void {
  let folder: ReturnType<typeof statSync>;
  try {
    folder = statSync(dirname(socketPath));
  } catch {
    throw new SandboxError("SANDBOX_INVALID", "proxySocket's folder does not exist");
  }
  if ((folder.mode & 0o077) !== 0 || folder.uid !== process.getuid?.()) {
    throw new SandboxError(
      "SANDBOX_INVALID",
      "proxySocket must be in a folder only this user can enter (0700)",
    );
  }
  // Not there yet for wrap() before the proxy starts: the proxy then creates it with this mode itself.
  try {
    chmodSync(socketPath, 0o666);
  } catch {}
}

/** Kills and deletes every container runsc knows under `state` (a no-op when there is none). */
function stopContainers(runsc: string, state: string): void {
  if (!existsSync(state)) return;
  const listed = spawnSync(runsc, [`--root=${state}`, "list", "-quiet"], {
    encoding: "utf8",
    timeout: 10_000,
  });
  for (const id of (listed.stdout ?? "").split("\n").filter((l) => /^[\w.-]+$/.test(l))) {
    spawnSync(runsc, [`--root=${state}`, "kill", id, "KILL"], { stdio: "ignore", timeout: 10_000 });
    spawnSync(runsc, [`--root=${state}`, "delete", "-force", id], { stdio: "ignore", timeout: 10_000 });
  }
}

/** Processes (a runsc, its gofer or sandbox) whose command line names `path`. */
function processesMentioning(path: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes(path)) found.push(Number(name));
    } catch {}
  }
  return found;
}

/** True while `pid` exists and is not a zombie (a crashed process its parent has not reaped yet is gone). */
function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
