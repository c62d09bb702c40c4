// The Runner contract (run a tool's work with limits, kill it on demand) and the in-process runner for tests and trusted code.

/** Limits of one run; every one is enforced by killing the run, whose `killed` then names it. */
export interface RunLimits {
  /** Wall clock (default 30 s): "timeout". */
  timeoutMs?: number;
  /** stdout and stderr, each (default 1 MiB): "output_limit"; what came before is kept. */
  maxOutputBytes?: number;
  /** Address space (RLIMIT_AS) of the command; an allocation beyond it fails inside the command. */
  memoryBytes?: number;
  /** CPU seconds (RLIMIT_CPU); the kernel sends SIGXCPU then SIGKILL. */
  cpuSeconds?: number;
  /** Largest file the command may write (RLIMIT_FSIZE). */
  fileSizeBytes?: number;
  /**
   * Processes and threads the command may have at once (RLIMIT_NPROC, counted in the sandbox's own user
   * namespace; default DEFAULT_MAX_PROCESSES): a fork beyond it fails inside the command, so a fork bomb
   * cannot take the host's process table while the clock runs.
   */
  processes?: number;
}

/**
 * What a run ended with. `killed` is why Warden stopped it ("timeout", "output_limit", "violation", or
 * the reason given to kill()), null when it ended by itself. `signal` is the signal that ended the
 * command, when known.
 */
export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  killed: string | null;
  /** Output beyond maxOutputBytes was dropped. */
  truncated: boolean;
}

/** Anything that can be stopped at once; the kill switch needs nothing more. */
export interface Killable {
  kill(reason: string): void;
}

/** One started run. */
export interface RunHandle extends Killable {
  readonly done: Promise<RunResult>;
  /** Host process id of the run's root (null in process). */
  readonly pid: number | null;
}

/**
 * Runs tool work under limits. `kill(reason)` on the runner kills every run it has in progress
 * (a runner serves one session), so a kill switch can hold the runner.
 */
export interface Runner<S> extends Killable {
  start(spec: S): RunHandle;
  run(spec: S): Promise<RunResult>;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_OUTPUT = 1024 * 1024;
export const DEFAULT_MAX_PROCESSES = 256;

/** Collects one output stream up to a cap; `onOverflow` fires once when the cap is passed. */
export class OutputBuffer {
  readonly #chunks: Buffer[] = [];
  #size = 0;
  #overflowed = false;
  constructor(
    readonly cap: number,
    readonly onOverflow: () => void,
  ) {}

  push(chunk: Buffer | string): void {
    const b = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    if (this.#overflowed) return;
    const room = this.cap - this.#size;
    if (b.length > room) {
      if (room > 0) this.#chunks.push(b.subarray(0, room));
      this.#size = this.cap;
      this.#overflowed = true;
      this.onOverflow();
      return;
    }
    this.#chunks.push(b);
    this.#size += b.length;
  }

  get overflowed(): boolean {
    return this.#overflowed;
  }

  text(): string {
    return Buffer.concat(this.#chunks).toString("utf8");
  }
}

/** What an in-process function gets: an abort signal (set on kill) and its output streams. */
export interface InProcessContext {
  signal: AbortSignal;
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface InProcessSpec {
  /** Returns the exit code (default 0); a throw is exit code 1 with the message on stderr. */
  fn: (ctx: InProcessContext) => Promise<number | undefined> | number | undefined;
  limits?: Pick<RunLimits, "timeoutMs" | "maxOutputBytes">;
}

/**
 * Runs a function in this process with the same result shape. A kill resolves the run at once and
 * aborts the function's signal; the function itself cannot be forced to stop, so use it only for
 * trusted code (or in tests) — untrusted work belongs in BubblewrapRunner.
 *
 * @example
 * const runner = new InProcessRunner();
 * const result = await runner.run({ fn: ({ stdout }) => { stdout("hello\n"); return 0; } });
 */
export class InProcessRunner implements Runner<InProcessSpec> {
  readonly #running = new Set<RunHandle>();

  start(spec: InProcessSpec): RunHandle {
    const started = performance.now();
    const abort = new AbortController();
    let killed: string | null = null;
    let finish: (r: RunResult) => void = () => undefined;
    const done = new Promise<RunResult>((resolve) => {
      finish = resolve;
    });
    const kill = (reason: string) => {
      if (killed !== null || settled) return;
      killed = reason;
      abort.abort(new Error(reason));
      end(null);
    };
    const cap = spec.limits?.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const out = new OutputBuffer(cap, () => kill("output_limit"));
    const err = new OutputBuffer(cap, () => kill("output_limit"));
    let settled = false;
    const timer = setTimeout(() => kill("timeout"), spec.limits?.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const handle: RunHandle = { done, pid: null, kill };
    const end = (exitCode: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.#running.delete(handle);
      finish({
        exitCode,
        signal: null,
        stdout: out.text(),
        stderr: err.text(),
        durationMs: performance.now() - started,
        killed,
        truncated: out.overflowed || err.overflowed,
      });
    };
    this.#running.add(handle);
    const ctx: InProcessContext = {
      signal: abort.signal,
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
    };
    Promise.resolve()
      .then(() => spec.fn(ctx))
      .then(
        (code) => end(typeof code === "number" ? code : 0),
        (e: unknown) => {
          err.push(`${e instanceof Error ? e.message : String(e)}\n`);
          end(1);
        },
      );
    return handle;
  }

  run(spec: InProcessSpec): Promise<RunResult> {
    return this.start(spec).done;
  }

  kill(reason: string): void {
    for (const h of [...this.#running]) h.kill(reason);
  }
}
