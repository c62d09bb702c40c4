// What a CLI command gets from the outside world, so every command is a function tests can call.

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /**
   * Standard output as a stream, for output that is not lines of text (`warden export --jsonl -`),
   * written with backpressure. Without it such output goes through `stdout`, chunk by chunk.
   */
  stdoutStream?: NodeJS.WritableStream;
  /** Where progress bars are drawn (stderr); drawn only when it is a TTY. */
  terminal?: NodeJS.WriteStream;
}

/** A command takes its own argv (after the command name) and returns the process exit code. */
export type Command = (argv: string[], io: CliIO) => Promise<number>;

export const processIO = (): CliIO => ({
  stdout: writerTo(process.stdout),
  stderr: writerTo(process.stderr),
  cwd: process.cwd(),
  env: process.env,
  stdoutStream: process.stdout,
  terminal: process.stderr,
});

/**
 * Lines to `stream`, until its reader goes away: `warden verify | head -1` closes the pipe (EPIPE), and
 * the rest of the output has nowhere to go. That is no failure of the command, whose exit status stands;
 * without a listener the 'error' event would end the process with a stack trace instead.
 */
function writerTo(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    closed = true;
  });
  return (text) => {
    if (!closed) stream.write(text.endsWith("\n") ? text : `${text}\n`);
  };
}
