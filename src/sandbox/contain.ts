// Runs one command tool contained: a fresh egress proxy on a private socket, a sandbox (bubblewrap or
// gVisor) whose only network is that proxy, and a kill switch that stops everything the session does on a violation.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { escapeRegExp } from "../config/index.js";
import type { JsonValue } from "../json.js";
import type { RecordInput } from "../ledger/index.js";
import { createAlertSender, type SandboxAlert } from "./alert.js";
import { BubblewrapRunner } from "./bubblewrap.js";
import type { SandboxRunner, SandboxRunnerOptions, WrappedCommand } from "./command.js";
import type { ContainmentSettings, SandboxRuntime } from "./config.js";
import { EgressProxy, type HeaderInjection } from "./egress-proxy.js";
import type { EgressViolation } from "./errors.js";
import { SandboxError } from "./errors.js";
import { GvisorRunner } from "./gvisor.js";
import { KillSwitch } from "./kill-switch.js";
import type { Killable, RunResult } from "./runner.js";

export interface CommandCall {
  session: string;
  agent: string;
  callId: string;
  tool: string;
}

export interface ContainedRun {
  command: readonly string[];
  stdin?: string;
  /** Variables for the command (secrets injected as environment variables among them). */
  env: Record<string, string>;
  /** Headers the proxy adds to plain-HTTP requests to their host (secrets the command never sees). */
  headers: HeaderInjection[];
}

export type ContainedResult = RunResult & { violation: EgressViolation | null };

/** A long-running sandboxed process (an MCP server) whose stdio the caller owns. */
export interface SandboxedServer {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** The bwrap or runsc process once started: a violation kills it, and the sandbox dies with it. */
  attach(pid: number | null): void;
  close(): Promise<void>;
}

export class Containment {
  readonly #settings: () => ContainmentSettings;
  readonly #endSession: (id: string, reason: string) => Promise<unknown>;
  readonly #record: (input: RecordInput) => Promise<unknown>;
  readonly #alert: ((alert: SandboxAlert) => unknown) | null;
  readonly #screen: (session: string, text: string) => string;
  readonly #running = new Map<string, Set<Killable>>();

  /** The alert webhook is read once (its secret comes from the environment); the rules at every run. */
  constructor(deps: {
    settings: () => ContainmentSettings;
    endSession: (id: string, reason: string) => Promise<unknown>;
    record: (input: RecordInput) => Promise<unknown>;
    recentRecords: (session: string) => Promise<readonly JsonValue[]>;
    env: Record<string, string | undefined>;
    /**
     * Takes the session's leased secret values out of a text (the secrets stage's redactor). A refused
     * host name is the tool's own text: it can carry a secret out (`<secret>.evil.example`) into the
     * record, the session's end reason, the alert and the error.
     */
    screen?: (session: string, text: string) => string;
  }) {
    this.#settings = deps.settings;
    this.#screen = deps.screen ?? ((_, text) => text);
    this.#endSession = deps.endSession;
    // What runs of a crashed Warden left (their processes died with it; their bundles and state did not).
    GvisorRunner.cleanLeftovers();
    this.#record = deps.record;
    const alert = deps.settings().alert;
    if (alert) {
      const secret = deps.env[alert.secretEnv];
      if (!secret) {
        throw new SandboxError(
          "SANDBOX_INVALID",
          `egress.alert: environment variable ${alert.secretEnv} is not set`,
        );
      }
      this.#alert = createAlertSender({
        webhook: { url: alert.url, secret },
        recentRecords: deps.recentRecords,
      });
    } else this.#alert = null;
  }

  /** Whether `tool` is a command tool (it must run here, never in process). */
  isCommand(tool: string): boolean {
    return this.#settings().commandLimits(tool) !== null;
  }

  async run(call: CommandCall, run: ContainedRun): Promise<ContainedResult> {
    const limits = this.#settings().commandLimits(call.tool);
    if (limits === null) throw new SandboxError("SANDBOX_INVALID", `tool ${call.tool} is not a command tool`);
    const egress = await this.#egress(
      call,
      (proxySocket) =>
        runnerFor(limits.runtime, {
          proxySocket,
          limits: {
            ...(limits.timeoutMs !== undefined ? { timeoutMs: limits.timeoutMs } : {}),
            ...(limits.memoryMb !== undefined ? { memoryBytes: limits.memoryMb * 1024 * 1024 } : {}),
            ...(limits.cpuSeconds !== undefined ? { cpuSeconds: limits.cpuSeconds } : {}),
            ...(limits.processes !== undefined ? { processes: limits.processes } : {}),
          },
        }),
      limits.runtime,
      run.headers,
    );
    try {
      const result = await egress.target.run({
        command: run.command,
        env: run.env,
        ...(run.stdin !== undefined ? { stdin: run.stdin } : {}),
      });
      await egress.settled();
      return { ...result, violation: egress.violation() };
    } finally {
      await egress.close();
    }
  }

  /**
   * Sandboxes a server process for `session` (an MCP server the gateway launches): `runtime` (default
   * the policy's `sandbox.runtime`) with `readOnly` paths (its code) and the egress proxy as its only
   * network, under the same kill switch.
   */
  async launchServer(
    call: { session: string; agent: string; server: string },
    command: readonly string[],
    env: Record<string, string>,
    readOnly: readonly string[],
    runtime: SandboxRuntime | null = null,
  ): Promise<SandboxedServer> {
    let pid: number | null = null;
    let wrapped: WrappedCommand | null = null;
    const chosen = runtime ?? this.#settings().runtime;
    const egress = await this.#egress<Killable>(
      { ...call, callId: null, tool: `mcp:${call.server}`, ownValues: env },
      (proxySocket) => {
        wrapped = runnerFor(chosen, { proxySocket, readOnly }).wrap({ command, env });
        return {
          kill: () => {
            if (pid === null) return;
            try {
              process.kill(pid, "SIGKILL");
            } catch {}
          },
        };
      },
      chosen,
    );
    const { command: sandbox, args, env: sandboxEnv, cleanup } = wrapped!;
    return {
      command: sandbox,
      args,
      env: sandboxEnv,
      attach: (p) => {
        pid = p;
      },
      close: async () => {
        egress.target.kill("closed");
        await egress.close();
        cleanup();
      },
    };
  }

  /**
   * One contained process's egress: a proxy on a private socket applying the policy's rules, whose
   * refusals go to a kill switch over `target` (made with the socket's path). The target counts as a
   * running process of the session until `close()`.
   */
  async #egress<T extends Killable>(
    call: {
      session: string;
      agent: string;
      callId: string | null;
      tool: string;
      /** Values the contained process was given itself (a server's configured env): masked in refused hosts too. */
      ownValues?: Record<string, string>;
    },
    makeTarget: (socketPath: string) => T,
    runtime: SandboxRuntime,
    headers: readonly HeaderInjection[] = [],
  ) {
    const settings = this.#settings();
    const dir = await mkdtemp(join(tmpdir(), "warden-egress-"));
    const socketPath = join(dir, "proxy.sock");
    const target = makeTarget(socketPath);
    let violation: EgressViolation | null = null;
    const killSwitch = new KillSwitch({
      session: call.session,
      agent: call.agent,
      callId: call.callId,
      tool: call.tool,
      policy: settings.onViolation,
      target,
      endSession: (id, reason) => this.#endSession(id, reason),
      record: (input) => this.#record(input),
      ...(this.#alert ? { alert: this.#alert } : {}),
    });
    const proxy = new EgressProxy({
      allow: settings.allow,
      deny: settings.deny,
      // mkdtemp made the folder 0700: only this user (and, when Warden is root, the sandbox user the
      // runner hands it to) can reach the socket, whatever its own mode.
      listen: { socketPath, mode: runtime === "gvisor" || process.getuid?.() === 0 ? 0o666 : 0o600 },
      inject: headers,
      onViolation: (refused) => {
        // Screened now, while the session and its leased values are alive: the kill ends it next.
        const host = maskOwnValues(this.#screen(call.session, refused.host), call.ownValues ?? {});
        const v = { ...refused, host };
        violation ??= v;
        return killSwitch.onViolation(v);
      },
    });
    const close = async () => {
      this.#untrack(call.session, target);
      await proxy.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    };
    this.#track(call.session, target);
    try {
      await proxy.start();
    } catch (err) {
      await close();
      throw err;
    }
    return { target, violation: () => violation, settled: () => killSwitch.settled(), close };
  }

  /** Kills every command the session is running (its session ended). */
  killSession(session: string, reason: string): void {
    for (const runner of this.#running.get(session) ?? []) runner.kill(reason);
  }

  close(): void {
    for (const session of this.#running.keys()) this.killSession(session, "warden closing");
  }

  #track(session: string, runner: Killable): void {
    const set = this.#running.get(session) ?? new Set();
    set.add(runner);
    this.#running.set(session, set);
  }

  #untrack(session: string, runner: Killable): void {
    const set = this.#running.get(session);
    set?.delete(runner);
    if (set?.size === 0) this.#running.delete(session);
  }
}

/** The runner of a sandbox runtime: the same interface and guarantees, a different isolation. */
function runnerFor(runtime: SandboxRuntime, options: SandboxRunnerOptions): SandboxRunner {
  return runtime === "gvisor" ? new GvisorRunner(options) : new BubblewrapRunner(options);
}

/** Shorter values (`1`, `true`, `debug`) carry no secret and would mask ordinary host names. */
const OWN_VALUE_MIN = 8;

/**
 * `host` with each of `values` (at least 8 characters) as `[env:NAME]`, in any letter case: host names
 * arrive lower-cased. A server's API key is not a lease, so the leased-value screening does not know it.
 */
function maskOwnValues(host: string, values: Record<string, string>): string {
  let out = host;
  const named = Object.entries(values)
    .filter(([, value]) => value.length >= OWN_VALUE_MIN)
    .sort(([, a], [, b]) => b.length - a.length);
  for (const [name, value] of named) {
    out = out.replace(new RegExp(escapeRegExp(value), "gi"), () => `[env:${name}]`);
  }
  return out;
}
