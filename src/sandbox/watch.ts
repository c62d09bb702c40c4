// One sandboxed process watched to its end, for every runtime: output caps, the timeout, kills, the CPU
// limit read from the exit signal, and the run's folders removed once it is over.
import type { ChildProcess } from "node:child_process";
import type { CommandSpec } from "./command.js";
import { signalOf } from "./command.js";
import { SandboxError } from "./errors.js";
import {
  DEFAULT_MAX_OUTPUT,
  DEFAULT_TIMEOUT_MS,
  OutputBuffer,
  type RunHandle,
  type RunLimits,
  type RunResult,
} from "./runner.js";

export interface Watch {
  /** The runtime's executable, named when it cannot start ("bwrap", "runsc"). */
  program: string;
  spec: CommandSpec;
  limits: RunLimits;
  /** Signals every process of the run (the runtime knows how to reach them all). */
  killTree: () => void;
  /** Removes the run's folders; called once, when the run is over or never started. */
  cleanup: () => void;
  /** Called when the runtime process exits (before its streams close). */
  onExit?: () => void;
  /** Keeps the handle while the run lasts, so the runner can kill everything it started. */
  running: Set<RunHandle>;
}

/** A started run and the reason it was killed so far (null while nobody killed it). */
export interface Watched {
  handle: RunHandle;
  killedReason: () => string | null;
}

export function watchProcess(child: ChildProcess, w: Watch): Watched {
  const started = performance.now();
  let killed: string | null = null;
  let exited = false;
  const kill = (reason: string) => {
    if (exited) return;
    killed ??= reason;
    w.killTree();
  };
  const cap = w.limits.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const out = new OutputBuffer(cap, () => kill("output_limit"));
  const err = new OutputBuffer(cap, () => kill("output_limit"));
  child.stdout!.on("data", (c: Buffer) => out.push(c));
  child.stderr!.on("data", (c: Buffer) => err.push(c));
  child.stdin!.on("error", () => undefined);
  child.stdin!.end(w.spec.stdin === undefined ? undefined : Buffer.from(w.spec.stdin));
  const timer = setTimeout(() => kill("timeout"), w.limits.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  let handle: RunHandle;
  // The run is over (it ended, or the runtime never started): forget it and remove its folders.
  const finish = () => {
    exited = true;
    clearTimeout(timer);
    w.running.delete(handle);
    try {
      w.cleanup();
    } catch {}
  };
  const done = new Promise<RunResult>((resolve, reject) => {
    child.once("error", (e) => {
      finish();
      reject(
        new SandboxError("SANDBOX_UNAVAILABLE", `could not start ${w.program}`, {
          code: (e as NodeJS.ErrnoException).code ?? null,
        }),
      );
    });
    child.once("exit", () => {
      exited = true;
      clearTimeout(timer);
      w.onExit?.();
    });
    child.once("close", (code: number | null, sig: NodeJS.Signals | null) => {
      finish();
      const signalName = sig ?? signalOf(code);
      if (
        killed === null &&
        (signalName === "SIGXCPU" || (signalName === "SIGKILL" && w.limits.cpuSeconds))
      ) {
        killed = "cpu";
      }
      resolve({
        exitCode: code,
        signal: signalName,
        stdout: out.text(),
        stderr: err.text(),
        durationMs: performance.now() - started,
        killed,
        truncated: out.overflowed || err.overflowed,
      });
    });
  });
  handle = {
    done,
    kill,
    get pid() {
      return child.pid ?? null;
    },
  };
  w.running.add(handle);
  return { handle, killedReason: () => killed };
}
